import WebSocket from 'ws';

export type Frame = Record<string, unknown> & { type: string };

/** A refused upgrade: its status, headers and JSON body (message: `upgrade refused: <status>`). */
export class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string | string[] | undefined>,
    readonly body: string,
  ) {
    super(`upgrade refused: ${status}`);
  }
}

/** A /ws client for tests: records every frame and waits for the ones a test expects. */
export class TestSocket {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | null = null;
  #waiters = new Set<() => void>();
  #nextRequest = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      for (const wake of this.#waiters) wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      for (const wake of this.#waiters) wake();
    });
  }

  /** Opens a socket; rejects with the HTTP status when the upgrade is refused. */
  static open(
    url: string,
    opts: { cookie?: string; origin?: string; token?: string; authorization?: string } = {},
  ): Promise<TestSocket> {
    const target = new URL('/ws', url.replace(/^http/, 'ws'));
    if (opts.token) target.searchParams.set('token', opts.token);
    const ws = new WebSocket(target, {
      headers: {
        ...(opts.cookie ? { cookie: opts.cookie } : {}),
        ...(opts.origin ? { origin: opts.origin } : {}),
        ...(opts.authorization ? { authorization: opts.authorization } : {}),
      },
    });
    return new Promise((resolve, reject) => {
      const socket = new TestSocket(ws);
      ws.once('open', () => resolve(socket));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on('end', () => reject(new UpgradeRefused(res.statusCode ?? 0, res.headers, body)));
        res.on('error', () => reject(new UpgradeRefused(res.statusCode ?? 0, res.headers, body)));
      });
      ws.once('error', reject);
    });
  }

  send(frame: Record<string, unknown>): string {
    const requestId = `r${++this.#nextRequest}`;
    this.ws.send(JSON.stringify({ v: 1, requestId, ...frame }));
    return requestId;
  }

  raw(text: string) {
    this.ws.send(text);
  }

  /** Resolves with the first recorded frame (from `from` on) matching; fails after the deadline. */
  async waitFor(
    match: (f: Frame) => boolean,
    opts: { timeoutMs?: number; from?: number } = {},
  ): Promise<Frame> {
    const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
    for (;;) {
      const found = this.frames.slice(opts.from ?? 0).find(match);
      if (found) return found;
      if (this.closed)
        throw new Error(`socket closed (${this.closed.code} ${this.closed.reason}) while waiting`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out; frames so far: ${JSON.stringify(this.frames.slice(-8)).slice(0, 1500)}`,
        );
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 500));
        this.#waiters.add(wake);
      });
    }
  }

  async request(frame: Record<string, unknown>, stage?: string): Promise<Frame> {
    const requestId = this.send(frame);
    return this.waitFor(
      (f) =>
        f.requestId === requestId &&
        (f.type !== 'ack' || !stage || (f.data as { stage?: string }).stage === stage),
    );
  }

  events(type?: string, conversationId?: string): Frame[] {
    return this.frames.filter(
      (f) =>
        f.type === 'event' &&
        (!type || f.event === type) &&
        (!conversationId ||
          (f.data as { conversationId?: string }).conversationId === conversationId),
    );
  }

  lastEventId(): string | undefined {
    return this.frames.filter((f) => f.type === 'event').at(-1)?.id as string | undefined;
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
