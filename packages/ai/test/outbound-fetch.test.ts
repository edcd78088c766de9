import { ForbiddenAddressError } from '@platform/config';
import { generateText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateProviderKey } from '../src/credentials/validate.ts';
import { createOutboundFetch } from '../src/providers/outbound-fetch.ts';
import { createLanguageModel } from '../src/providers/registry.ts';
import { type FakeVendors, startFakeVendors } from './fake-vendors.ts';

/**
 * Calls to a tenant-chosen AI endpoint connect only through the outbound address guard: the
 * address checked is the one connected to, so a name that resolves to cloud metadata after
 * its URL was saved (DNS rebinding) is refused at request time. The vendor is the local fake.
 */
let fake: FakeVendors;
beforeAll(async () => {
  fake = await startFakeVendors();
});
afterAll(() => fake.close());

/** A resolver for the test's names: answers as the DNS of the moment would. */
const answers = new Map<string, string>();
const fetchVia = createOutboundFetch(async (host) => {
  const address = answers.get(host);
  if (!address) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return [{ address, family: address.includes(':') ? 6 : 4 }];
});

const causeOf = (error: unknown) =>
  error instanceof Error && error.cause ? error.cause : (error as Error);

describe('outbound fetch for tenant-chosen AI endpoints', () => {
  it('connects to a name that resolves to loopback or a private address', async () => {
    answers.set('models.internal.test', '127.0.0.1');
    const port = new URL(fake.baseURLs.compatible).port;
    const res = await fetchVia(`http://models.internal.test:${port}/v1/models`);
    await res.body?.cancel();
    expect(res.status).toBeLessThan(500);
  });

  it('refuses a name that now resolves to a metadata address, before connecting', async () => {
    answers.set('rebind.test', '169.254.169.254');
    const error = await fetchVia('http://rebind.test/latest/meta-data/').catch((e) => e);
    expect(causeOf(error)).toBeInstanceOf(ForbiddenAddressError);
    answers.set('rebind6.test', 'fd00:ec2::254');
    const error6 = await fetchVia('http://rebind6.test/').catch((e) => e);
    expect(causeOf(error6)).toBeInstanceOf(ForbiddenAddressError);
  });

  it('refuses literal link-local addresses without a look-up', async () => {
    for (const url of [
      'http://169.254.169.254/v1',
      'http://[fe80::1]/v1',
      'http://metadata.google.internal/',
    ])
      expect(causeOf(await fetchVia(url).catch((e) => e))).toBeInstanceOf(ForbiddenAddressError);
  });

  it('is what models with a base URL and the key check use', async () => {
    // Through the AI SDK: streaming and usage still work over the guarded connection...
    const ok = await generateText({
      model: createLanguageModel(
        { provider: 'compatible', model: 'llama3.1:8b' },
        { apiKey: 'sk-x', baseURL: fake.baseURLs.compatible },
      ),
      prompt: 'Hi',
      maxRetries: 0,
    });
    expect(ok.text).toBe('ok');
    // ...and a metadata base URL never gets a request.
    const refused = await generateText({
      model: createLanguageModel(
        { provider: 'openai', model: 'gpt-4o-mini' },
        { apiKey: 'sk-x', baseURL: 'http://169.254.169.254/v1' },
      ),
      prompt: 'Hi',
      maxRetries: 0,
    }).catch((e: unknown) => e);
    expect(JSON.stringify(refused, Object.getOwnPropertyNames(refused))).toContain(
      'link-local or cloud metadata',
    );
    expect(await validateProviderKey('openai', 'sk-x', 'http://169.254.169.254/v1')).toEqual({
      ok: false,
      reason: 'the provider URL resolves to a forbidden address',
    });
  });
});
