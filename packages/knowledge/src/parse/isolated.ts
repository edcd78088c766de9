import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Chunk } from '../chunk.ts';
import { ParseError } from '../errors.ts';
import type { DocumentType } from '../sniff.ts';

export type IsolatedParse = { type: DocumentType; pages: number; chunks: Chunk[] };

export type ParserPoolOptions = {
  /** Worker threads (default 2). */
  size?: number;
  /** Give up on a file after this long (default 120 s). */
  timeoutMs?: number;
  /** Heap each parser may use (default 1024 MB). */
  maxMemoryMb?: number;
};

type Reply = { id: number } & (
  | { ok: true; type: DocumentType; pages: number; chunks: Chunk[] }
  | { ok: false; reason: ParseError['reason']; message: string }
);

const entry = new URL('./worker-entry.ts', import.meta.url).href;
// The worker registers tsx's loader itself before importing the TypeScript entry (on Node 20
// a worker's execArgv `--import` does not apply to its entry module).
const tsxApi = pathToFileURL(
  join(
    dirname(createRequire(import.meta.url).resolve('tsx/package.json')),
    'dist/esm/api/index.mjs',
  ),
).href;
const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;

type Slot = { worker: Worker; busy: boolean };

/**
 * Parses and chunks files in a few long-lived worker threads with a time and memory limit
 * per file. A file that exhausts either fails as a document (ParseError) and its worker is
 * replaced, instead of stalling every ingestion in the process, which is how indexing gets
 * "stuck" in other products. Idle workers do not keep the process alive.
 */
export class ParserPool {
  readonly #size: number;
  readonly #timeoutMs: number;
  readonly #maxMemoryMb: number;
  readonly #slots: Slot[] = [];
  readonly #waiting: ((slot: Slot) => void)[] = [];
  #nextId = 0;

  constructor(options: ParserPoolOptions = {}) {
    this.#size = options.size ?? 2;
    this.#timeoutMs = options.timeoutMs ?? 120_000;
    this.#maxMemoryMb = options.maxMemoryMb ?? 1024;
  }

  async parse(bytes: Uint8Array, fileName: string, signal?: AbortSignal): Promise<IsolatedParse> {
    const slot = await this.#acquire();
    try {
      return await this.#run(slot, bytes, fileName, signal);
    } finally {
      this.#release(slot);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.#slots.splice(0).map((s) => s.worker.terminate()));
  }

  #spawn(): Slot {
    const worker = new Worker(bootstrap, {
      eval: true,
      resourceLimits: { maxOldGenerationSizeMb: this.#maxMemoryMb },
      stdout: true,
      stderr: true,
    });
    // Parser chatter (pdf.js warnings) is dropped rather than mixed into the server's logs.
    worker.stdout.resume();
    worker.stderr.resume();
    worker.unref();
    const slot = { worker, busy: false };
    this.#slots.push(slot);
    return slot;
  }

  #acquire(): Promise<Slot> {
    const idle = this.#slots.find((s) => !s.busy);
    const slot = idle ?? (this.#slots.length < this.#size ? this.#spawn() : undefined);
    if (slot) {
      slot.busy = true;
      return Promise.resolve(slot);
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(slot: Slot) {
    const next = this.#waiting.shift();
    const alive = this.#slots.includes(slot);
    if (!next) {
      slot.busy = false;
      return;
    }
    const handed = alive ? slot : this.#spawn();
    handed.busy = true;
    next(handed);
  }

  /** A worker that timed out, ran out of memory or died is replaced by a fresh one later. */
  #discard(slot: Slot) {
    const i = this.#slots.indexOf(slot);
    if (i >= 0) this.#slots.splice(i, 1);
    void slot.worker.terminate();
  }

  #run(slot: Slot, bytes: Uint8Array, fileName: string, signal?: AbortSignal) {
    const id = ++this.#nextId;
    const { worker } = slot;
    return new Promise<IsolatedParse>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        worker.unref();
      };
      const fail = (error: unknown) => {
        cleanup();
        this.#discard(slot);
        reject(error);
      };
      const onMessage = (reply: Reply) => {
        if (reply.id !== id) return;
        cleanup();
        if (reply.ok) resolve({ type: reply.type, pages: reply.pages, chunks: reply.chunks });
        else reject(new ParseError(reply.reason, reply.message));
      };
      const onError = (error: Error & { code?: string }) =>
        fail(
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new ParseError('too_large', 'The file needs too much memory to read')
            : error,
        );
      const onExit = (code: number) => fail(new Error(`parser worker exited with code ${code}`));
      const onAbort = () => fail(signal?.reason ?? new Error('aborted'));
      const timer = setTimeout(
        () =>
          fail(
            new ParseError(
              'corrupt',
              `The file could not be read within ${Math.max(1, Math.round(this.#timeoutMs / 1000))} s`,
            ),
          ),
        this.#timeoutMs,
      );
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.ref();
      worker.postMessage({ id, bytes, fileName });
    });
  }
}
