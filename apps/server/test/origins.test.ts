import { describe, expect, it } from 'vitest';
import { originAllowed } from '../src/realtime/origins.ts';

describe('widget origin allow-lists', () => {
  const list = ['https://shop.example.com', 'https://*.brand.example', 'http://localhost:8080'];

  it.each([
    ['https://shop.example.com', true],
    ['https://eu.brand.example', true],
    ['https://a.b.brand.example', true],
    ['http://localhost:8080', true],
    ['https://brand.example', false],
    ['http://eu.brand.example', false],
    ['https://shop.example.com.evil.io', false],
    ['https://evilbrand.example', false],
    ['http://localhost:8081', false],
    ['https://shop.example.com/path', false],
    ['null', false],
  ])('%s → %s', (origin, allowed) => {
    expect(originAllowed(origin, list)).toBe(allowed);
  });
});
