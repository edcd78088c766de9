/**
 * A timeline of real chat.send calls, for bench/chat-overhead.ts's profile (never during the
 * measured run): wraps, for as long as it is installed, every SQL statement (pg.Client#query),
 * every tenant transaction (db.withTenant), the query embedding (embedder.embed), the start of
 * the answer (ai.answer), and the model request (fetch), and records when each began and ended
 * relative to the send it belongs to (an AsyncLocalStorage tells a send's work from the
 * background workers' polling).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import type { Platform } from '../../apps/server/src/platform.ts';

export type Span = { label: string; start: number; end: number };

type Recording = { t0: number; spans: Span[]; transactions: number };

const sqlLabel = (text: string) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  // begin; select set_config(...) [; membership] -> one label
  if (flat.startsWith('begin;')) return 'sql: begin + set role/tenant (+ membership check)';
  return `sql: ${flat.slice(0, 90)}`;
};

export function installTrace(platform: Platform, modelBaseURL: string) {
  const als = new AsyncLocalStorage<Recording>();
  const span = (label: string, start: number, rec = als.getStore()) => {
    if (rec) rec.spans.push({ label, start: start - rec.t0, end: performance.now() - rec.t0 });
  };
  const restore: Array<() => void> = [];

  // SQL statements.
  const proto = pg.Client.prototype as unknown as {
    query: (...args: unknown[]) => unknown;
  };
  const originalQuery = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const out = originalQuery.apply(this, args);
    const rec = als.getStore();
    if (!rec || typeof args.at(-1) === 'function') return out;
    const first = args[0];
    const text =
      typeof first === 'string' ? first : String((first as { text?: string })?.text ?? '?');
    const start = performance.now();
    if (out && typeof (out as Promise<unknown>).then === 'function')
      (out as Promise<unknown>).then(
        () => span(sqlLabel(text), start, rec),
        () => span(sqlLabel(text), start, rec),
      );
    return out;
  };
  restore.push(() => {
    proto.query = originalQuery;
  });

  // Tenant transactions (each one: checkout, begin, the work, commit).
  const db = platform.db;
  const originalWithTenant = db.withTenant;
  db.withTenant = (async (...args: Parameters<typeof originalWithTenant>) => {
    const rec = als.getStore();
    const start = performance.now();
    const n = rec ? ++rec.transactions : 0;
    try {
      return await originalWithTenant.apply(db, args);
    } finally {
      span(`transaction #${n}`, start, rec);
    }
  }) as typeof originalWithTenant;
  restore.push(() => {
    db.withTenant = originalWithTenant;
  });

  // The query embedding.
  const embedder = platform.knowledge.embedder;
  const originalEmbed = embedder.embed;
  embedder.embed = (async (...args: Parameters<typeof originalEmbed>) => {
    const start = performance.now();
    try {
      return await originalEmbed.apply(embedder, args);
    } finally {
      span('embed the question', start);
    }
  }) as typeof originalEmbed;
  restore.push(() => {
    embedder.embed = originalEmbed;
  });

  // The answer: when writeAnswer starts it.
  const ai = platform.ai;
  const originalAnswer = ai.answer;
  ai.answer = ((...args: Parameters<typeof originalAnswer>) => {
    span('ai.answer called', performance.now());
    return originalAnswer.apply(ai, args);
  }) as typeof originalAnswer;
  restore.push(() => {
    ai.answer = originalAnswer;
  });

  // The model request: until its response headers arrive.
  const originalFetch = globalThis.fetch;
  globalThis.fetch = (async (...args: Parameters<typeof fetch>) => {
    const target = String(args[0] instanceof Request ? args[0].url : args[0]);
    if (!als.getStore() || !target.startsWith(modelBaseURL)) return originalFetch(...args);
    const rec = als.getStore();
    const start = performance.now();
    const res = await originalFetch(...args);
    span('model request: fetch until response headers', start, rec);
    if (!res.body) return res;
    // Marks when the first bytes of the stream arrive, before the AI SDK parses them.
    let seen = false;
    const body = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          if (!seen) span('model response: first body bytes', start, rec);
          seen = true;
          controller.enqueue(chunk);
        },
      }),
    );
    return new Response(body, {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
  }) as typeof fetch;
  restore.push(() => {
    globalThis.fetch = originalFetch;
  });

  return {
    /** Runs one send, recording its spans; `mark` records a moment (e.g. the first delta). */
    async record<T>(fn: (mark: (label: string) => void) => Promise<T>) {
      const rec: Recording = { t0: performance.now(), spans: [], transactions: 0 };
      const result = await als.run(rec, () => fn((label) => span(label, performance.now(), rec)));
      return { result, spans: rec.spans };
    },
    uninstall() {
      for (const r of restore.reverse()) r();
    },
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const ms = (x: number) => Math.round(x * 100) / 100;

/**
 * The median timeline of many sends, up to the moment `until` (e.g. the first delta): each step
 * (a label, numbered when it repeats within a send) with its median start and duration, for
 * the steps seen in at least half of the sends, in order of start.
 */
export function timeline(sends: Span[][], until: string) {
  const steps = new Map<string, { starts: number[]; durations: number[] }>();
  const totals = { sqlMs: [] as number[], untilMs: [] as number[] };
  for (const spans of sends) {
    const cutoff = spans.find((s) => s.label === until)?.start ?? Number.POSITIVE_INFINITY;
    totals.untilMs.push(cutoff);
    const seen = new Map<string, number>();
    let sql = 0;
    for (const s of [...spans].sort((a, b) => a.start - b.start)) {
      if (s.start > cutoff) continue;
      const n = (seen.get(s.label) ?? 0) + 1;
      seen.set(s.label, n);
      const key = n > 1 ? `${s.label} [${n}]` : s.label;
      const step = steps.get(key) ?? { starts: [], durations: [] };
      step.starts.push(s.start);
      step.durations.push(Math.min(s.end, cutoff) - s.start);
      steps.set(key, step);
      if (s.label.startsWith('sql:')) sql += Math.min(s.end, cutoff) - s.start;
    }
    totals.sqlMs.push(sql);
  }
  return {
    sends: sends.length,
    [`${until} (median ms)`]: ms(median(totals.untilMs)),
    'SQL statements before it, summed (median ms)': ms(median(totals.sqlMs)),
    steps: [...steps.entries()]
      .filter(([, v]) => v.starts.length >= sends.length / 2)
      .map(([step, v]) => ({
        step,
        startMs: ms(median(v.starts)),
        durationMs: ms(median(v.durations)),
        seenIn: v.starts.length,
      }))
      .sort((a, b) => a.startMs - b.startMs),
  };
}
