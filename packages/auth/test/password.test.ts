import { createPasswordHasher, HasherBusyError, slugify } from '@platform/auth';
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';

describe('password hashing', () => {
  const hasher = createPasswordHasher({ concurrency: 2, queue: 8 });

  it('hashes with Argon2id at 64 MiB, t=3, p=4, 32-byte output, salted', async () => {
    const a = await hasher.hash('correct horse battery staple');
    const b = await hasher.hash('correct horse battery staple');
    expect(a).toMatch(/^\$argon2id\$v=19\$m=65536,t=3,p=4\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(a).not.toBe(b);
    expect(await hasher.verify(a, 'correct horse battery staple')).toBe(true);
    expect(await hasher.verify(a, 'correct horse battery stapl')).toBe(false);
  });

  it('verifies legacy bcrypt hashes', async () => {
    const legacy = bcrypt.hashSync('old password here', 8);
    expect(await hasher.verify(legacy, 'old password here')).toBe(true);
    expect(await hasher.verify(legacy, 'old password HERE')).toBe(false);
  });

  it('treats a malformed stored hash as a mismatch, not a crash', async () => {
    expect(await hasher.verify('$argon2id$garbage', 'anything at all')).toBe(false);
  });

  it('caps concurrent hashes and refuses beyond the queue instead of piling up memory', async () => {
    const small = createPasswordHasher({ concurrency: 1, queue: 2 });
    let peak = 0;
    const jobs = Array.from({ length: 8 }, () =>
      small.hash('a password of decent size').then(
        () => 'ok',
        (e: unknown) => (e instanceof HasherBusyError ? 'busy' : 'error'),
      ),
    );
    const watch = setInterval(() => {
      peak = Math.max(peak, small.stats().active);
    }, 1);
    const outcomes = await Promise.all(jobs);
    clearInterval(watch);
    expect(peak).toBeLessThanOrEqual(1);
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(3); // one running + two queued
    expect(outcomes.filter((o) => o === 'busy')).toHaveLength(5);
  });
});

describe('slugs', () => {
  it.each([
    ['Acme Inc', 'acme-inc'],
    ['  Ünïcödé  Café & Co. ', 'unicode-cafe-co'],
    ['!!!', 'org'],
    ['a'.repeat(80), 'a'.repeat(48)],
  ])('%s -> %s', (name, slug) => {
    expect(slugify(name)).toBe(slug);
  });
});
