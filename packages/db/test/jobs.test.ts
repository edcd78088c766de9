import { type ClaimedJob, createWorker, enqueueJob } from '@platform/db';
import { openTestDatabase, type TestDatabase, testDrivers } from '@platform/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const until = async (check: () => Promise<boolean>, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met in time');
};

describe.each(testDrivers())('durable job queue (%s)', (driver) => {
  let t: TestDatabase;
  let a: string;
  let b: string;
  let queueNo = 0;
  const freshQueue = () => `test-${++queueNo}`;

  beforeAll(async () => {
    t = await openTestDatabase(driver);
    const made = await t.ownerQuery<{ id: string }>(
      `insert into tenants (name, slug) values ('A', 'jobs-a'), ('B', 'jobs-b') returning id`,
    );
    [a, b] = made.map((m) => m.id) as [string, string];
  });
  afterAll(() => t?.close());

  const enqueue = (
    tenantId: string,
    queue: string,
    payload: Record<string, unknown> = {},
    maxAttempts?: number,
  ) =>
    t.db.withTenant(tenantId, (tx) =>
      enqueueJob(tx, tenantId, { queue, payload, ...(maxAttempts ? { maxAttempts } : {}) }),
    );
  const statuses = (queue: string) =>
    t.ownerQuery<{
      status: string;
      attempts: number;
      last_error: string | null;
      tenant_id: string;
    }>(
      `select status, attempts, last_error, tenant_id from jobs where queue = $1 order by created_at`,
      [queue],
    );

  it('runs each tenant job under its own tenant and marks it done', async () => {
    const queue = freshQueue();
    await enqueue(a, queue, { n: 1 });
    await enqueue(b, queue, { n: 2 });
    const seen: ClaimedJob[] = [];
    const worker = createWorker(t.db, {
      queue,
      pollMs: 20,
      handle: async (job) => void seen.push(job),
    });
    worker.start();
    await until(async () => (await statuses(queue)).every((s) => s.status === 'succeeded'));
    await worker.stop();
    expect(seen.map((j) => [j.tenantId, j.payload.n]).sort()).toEqual(
      [
        [a, 1],
        [b, 2],
      ].sort(),
    );
  });

  it('retries with back-off, then succeeds', async () => {
    const queue = freshQueue();
    await enqueue(a, queue);
    let calls = 0;
    const worker = createWorker(t.db, {
      queue,
      pollMs: 20,
      backoffMs: () => 50,
      handle: async () => {
        calls++;
        if (calls < 3) throw new Error(`flaky ${calls}`);
      },
    });
    worker.start();
    await until(async () => (await statuses(queue))[0]?.status === 'succeeded');
    await worker.stop();
    expect(await statuses(queue)).toEqual([
      { status: 'succeeded', attempts: 3, last_error: null, tenant_id: a },
    ]);
  });

  it('gives up after maxAttempts and keeps the reason', async () => {
    const queue = freshQueue();
    await enqueue(a, queue, {}, 2);
    const worker = createWorker(t.db, {
      queue,
      pollMs: 20,
      backoffMs: () => 20,
      handle: async () => {
        throw new Error('corrupt input');
      },
    });
    worker.start();
    await until(async () => (await statuses(queue))[0]?.status === 'failed');
    await worker.stop();
    expect(await statuses(queue)).toEqual([
      { status: 'failed', attempts: 2, last_error: 'corrupt input', tenant_id: a },
    ]);
  });

  it('resumes a job whose worker died once its lease runs out', async () => {
    const queue = freshQueue();
    await enqueue(a, queue, { doc: 'manual.pdf' });
    // A worker claims it and dies without settling.
    const [lost] = await t.db.claimJobs(queue, { limit: 1, leaseSeconds: 1, tenantLimit: 5 });
    expect(lost?.attempt).toBe(1);
    expect(await t.db.claimJobs(queue, { limit: 1, leaseSeconds: 1, tenantLimit: 5 })).toEqual([]);
    const done: ClaimedJob[] = [];
    const worker = createWorker(t.db, {
      queue,
      pollMs: 50,
      handle: async (job) => void done.push(job),
    });
    worker.start();
    await until(async () => (await statuses(queue))[0]?.status === 'succeeded');
    await worker.stop();
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ id: lost?.id, attempt: 2, payload: { doc: 'manual.pdf' } });
  });

  it('holds each tenant to its concurrency limit while others proceed', async () => {
    const queue = freshQueue();
    for (let i = 0; i < 4; i++) {
      await enqueue(a, queue);
      await enqueue(b, queue);
    }
    const live = new Map<string, number>();
    const peak = new Map<string, number>();
    let peakTotal = 0;
    let total = 0;
    const worker = createWorker(t.db, {
      queue,
      pollMs: 10,
      concurrency: 4,
      tenantConcurrency: 1,
      handle: async (job) => {
        live.set(job.tenantId, (live.get(job.tenantId) ?? 0) + 1);
        total++;
        peak.set(job.tenantId, Math.max(peak.get(job.tenantId) ?? 0, live.get(job.tenantId) ?? 0));
        peakTotal = Math.max(peakTotal, total);
        await new Promise((r) => setTimeout(r, 60));
        live.set(job.tenantId, (live.get(job.tenantId) ?? 1) - 1);
        total--;
      },
    });
    worker.start();
    await until(async () => (await statuses(queue)).every((s) => s.status === 'succeeded'));
    await worker.stop();
    expect(Math.max(...peak.values())).toBe(1);
    expect(peakTotal).toBe(2); // both tenants ran side by side
  });

  it('never hands one job to two workers', async () => {
    const queue = freshQueue();
    for (let i = 0; i < 30; i++) await enqueue(i % 2 ? a : b, queue, { i });
    const handled: string[] = [];
    const make = () =>
      createWorker(t.db, {
        queue,
        pollMs: 5,
        concurrency: 3,
        tenantConcurrency: 10,
        handle: async (job) => {
          handled.push(job.id);
          await new Promise((r) => setTimeout(r, 5));
        },
      });
    const w1 = make();
    const w2 = make();
    w1.start();
    w2.start();
    await until(async () => (await statuses(queue)).every((s) => s.status === 'succeeded'));
    await Promise.all([w1.stop(), w2.stop()]);
    expect(handled).toHaveLength(30);
    expect(new Set(handled).size).toBe(30);
  });

  it('lets a tenant see only its own jobs', async () => {
    const queue = freshQueue();
    await enqueue(a, queue);
    await enqueue(b, queue);
    const seen = await t.db.withTenant(a, async (tx) => {
      const { jobs } = await import('@platform/db').then((m) => m.schema);
      return tx.select({ tenantId: jobs.tenantId }).from(jobs);
    });
    expect(new Set(seen.map((r) => r.tenantId))).toEqual(new Set([a]));
  });
});
