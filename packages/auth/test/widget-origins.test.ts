import { describe, expect, it } from 'vitest';
import { originAllowed, parseOriginPattern } from '../src/widget-origins.ts';

describe('widget allow-list entries', () => {
  it.each([
    ['https://shop.example.com', 'https://shop.example.com'],
    ['  HTTPS://Shop.Example.COM/ ', 'https://shop.example.com'],
    ['https://shop.example.com:443', 'https://shop.example.com'],
    ['http://shop.example.com:80', 'http://shop.example.com'],
    ['https://shop.example.com:8443', 'https://shop.example.com:8443'],
    ['http://localhost:3000', 'http://localhost:3000'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://[::1]:3000', 'http://[::1]:3000'],
    ['https://bücher.example', 'https://xn--bcher-kva.example'],
    ['https://*.Example.com/', 'https://*.example.com'],
    ['https://*.example.com:8443', 'https://*.example.com:8443'],
    ['https://*.example.com:443', 'https://*.example.com'],
  ])('%s is stored as %s', (entry, canonical) => {
    expect(parseOriginPattern(entry)?.text).toBe(canonical);
  });

  it.each([
    'shop.example.com',
    'ftp://shop.example.com',
    'https://shop.example.com/path',
    'https://shop.example.com?q',
    'https://shop.example.com#x',
    'https://user:pw@shop.example.com',
    'https://shop.example.com.',
    'https://sh_op.example.com',
    'https://*.com',
    'https://*.localhost',
    'https://*example.com',
    'https://a.*.example.com',
    'https://*.*.example.com',
    'https://*.10.0.0.1',
    'https://*.[::1]',
    'https://shop.example.com:99999',
    'https://',
    'null',
    '*',
    '',
  ])('%j is refused', (entry) => {
    expect(parseOriginPattern(entry)).toBeNull();
  });

  it('matches entries written by hand in another case or with a trailing slash', () => {
    const list = ['HTTPS://Shop.Example.com/', 'https://*.Brand.Example:443', 'not an origin'];
    expect(originAllowed('https://shop.example.com', list)).toBe(true);
    expect(originAllowed('https://eu.brand.example', list)).toBe(true);
    expect(originAllowed('https://brand.example', list)).toBe(false);
    expect(originAllowed('https://not an origin', list)).toBe(false);
  });
});
