import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, data, type Harness, startHarness, trpcError } from './harness.ts';

/**
 * Tenant-supplied vendor keys. What is already covered elsewhere: the answer and the list show
 * only a hint, the stored ciphertext is not the key (ai-api.e2e.test.ts), audit entries hold no
 * secret (audit.security.test.ts), roles (rbac.security.test.ts). Here: the server's own logs,
 * at debug level, and the base URL a tenant may make the server call.
 */
const GOOD_KEY = 'sk-live-ocelot-0123456789abcdef';
const BAD_KEY = 'sk-live-wrong-fedcba9876543210';

describe.each(testDrivers())('provider keys security (%s)', (driver) => {
  let h: Harness;
  let owner: Account;
  let vendor: Server;
  let vendorUrl = '';
  const lines: string[] = [];
  const seen: string[] = [];

  beforeAll(async () => {
    // A vendor that accepts GOOD_KEY only, like OpenAI's GET /v1/models.
    vendor = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const ok = req.headers.authorization === `Bearer ${GOOD_KEY}`;
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(ok ? '{"data":[]}' : `{"error":"bad key ${req.headers.authorization}"}`);
    });
    await new Promise<void>((resolve) => vendor.listen(0, '127.0.0.1', resolve));
    vendorUrl = `http://127.0.0.1:${(vendor.address() as AddressInfo).port}/v1`;
    h = await startHarness(driver, { LOG_LEVEL: 'trace' }, { log: (line) => lines.push(line) });
    owner = await h.signUp('Key Keepers');
  });
  afterAll(async () => {
    await h?.close();
    await new Promise((resolve) => vendor?.close(resolve));
  });

  const set = (input: Record<string, unknown>) =>
    h.mutate('providerKeys.set', owner.cookie, { provider: 'openai', ...input });
  const encodings = (key: string) => [
    key,
    key.slice(4, -4),
    Buffer.from(key).toString('base64'),
    Buffer.from(key).toString('hex'),
  ];

  it('never writes the key to the logs, nor echoes it in a refusal, even at trace level', async () => {
    const from = lines.length;
    const refused = await set({ apiKey: BAD_KEY, baseUrl: vendorUrl });
    expect(refused.status).toBe(400);
    expect(trpcError(refused).data.field).toBe('apiKey');
    const saved = await set({ apiKey: GOOD_KEY, baseUrl: vendorUrl });
    expect(saved.status, saved.raw.body).toBe(200);
    expect(data(saved)).toEqual({ provider: 'openai', baseUrl: vendorUrl, keyHint: '…cdef' });
    await h.query('providerKeys.list', owner.cookie);
    await h.mutate('providerKeys.remove', owner.cookie, { provider: 'openai' });

    const logged = lines.slice(from).join('\n');
    // The logs are on and see these requests; they just never hold the key.
    expect(logged).toContain('providerKeys.set');
    for (const key of [GOOD_KEY, BAD_KEY])
      for (const form of encodings(key)) {
        expect(logged, `log holds ${form}`).not.toContain(form);
        expect(refused.raw.body).not.toContain(form);
        expect(saved.raw.body).not.toContain(form);
      }
    const audit = await h.t.ownerQuery('select * from audit_logs where tenant_id = $1', [
      owner.tenantId,
    ]);
    for (const form of encodings(GOOD_KEY)) expect(JSON.stringify(audit)).not.toContain(form);
  });

  it('refuses base URLs at cloud metadata and link-local addresses before calling them', async () => {
    const before = seen.length;
    for (const baseUrl of [
      'http://169.254.169.254/latest/meta-data',
      'http://169.254.169.254./v1',
      'http://2852039166/v1', // 169.254.169.254 as one number
      'http://0xA9FEA9FE/v1',
      'http://[::ffff:169.254.169.254]/v1',
      'http://[fe80::1]/v1',
      'http://[fd00:ec2::254]/v1',
      'http://metadata.google.internal/computeMetadata/v1',
      'http://100.100.100.200/latest',
    ]) {
      const r = await set({ provider: 'compatible', apiKey: GOOD_KEY, baseUrl });
      expect(r.status, `${baseUrl}: ${r.raw.body}`).toBe(400);
      expect(trpcError(r).data.field, baseUrl).toBe('baseUrl');
      expect(trpcError(r).message).toMatch(/metadata/);
    }
    expect(seen.length).toBe(before);
    const stored = await h.t.ownerQuery('select 1 from provider_credentials where tenant_id = $1', [
      owner.tenantId,
    ]);
    expect(stored).toEqual([]);
    // Loopback and private addresses stay allowed (a self-hosted OpenAI-compatible server).
    expect(
      (await set({ provider: 'compatible', apiKey: GOOD_KEY, baseUrl: vendorUrl })).status,
    ).toBe(200);
  });
});
