import { backoffDelay, heartbeatAction } from './backoff.ts';
import { guard } from './guard.ts';
import type { ClientFrame, ServerFrame } from './wire.ts';

export type SocketHooks = {
  /** The /ws URL with a usable token; `fresh` asks for a new token (the last ones were refused). */
  url(fresh: boolean): Promise<string>;
  /** The server said hello: subscribe now. */
  up(): void;
  /** The connection is gone (a reconnect is already scheduled). */
  down(): void;
  frame(frame: ServerFrame): void;
};

/**
 * One WebSocket to /ws that stays up while wanted: reconnects with jittered exponential backoff
 * (at once when the browser comes back online), pings on the server's heartbeat interval and
 * treats two silent intervals as a dead connection. A refused upgrade looks like any other
 * close to a browser, so after two closes before `hello` the next attempt asks for a new token.
 */
export class Socket {
  private _ws: WebSocket | null = null;
  private _wanted = false;
  private _up = false;
  private _attempt = 0;
  private _refused = 0;
  private _heard = 0;
  private _retry: ReturnType<typeof setTimeout> | undefined;
  private _beat: ReturnType<typeof setInterval> | undefined;
  private readonly _online = guard(() => {
    if (!this._wanted || this._ws) return;
    this._attempt = 0;
    this._connect();
  });

  constructor(private readonly hooks: SocketHooks) {}

  get up() {
    return this._up;
  }

  start() {
    if (this._wanted) return;
    this._wanted = true;
    addEventListener('online', this._online);
    this._connect();
  }

  stop() {
    this._wanted = false;
    removeEventListener('online', this._online);
    clearTimeout(this._retry);
    this._up = false;
    this._drop();
  }

  /** Sends a frame if connected; false tells the caller to keep it for later. */
  send(frame: ClientFrame): boolean {
    if (!this._up || !this._ws) return false;
    this._ws.send(JSON.stringify({ v: 1, ...frame }));
    return true;
  }

  private readonly _connect = guard(async () => {
    clearTimeout(this._retry);
    if (!this._wanted || this._ws) return;
    let ws: WebSocket;
    try {
      const url = await this.hooks.url(this._refused >= 2);
      if (!this._wanted || this._ws) return;
      ws = new WebSocket(url);
    } catch {
      this._schedule();
      return;
    }
    this._ws = ws;
    ws.onmessage = guard((e: MessageEvent) => {
      if (ws !== this._ws) return;
      this._heard = Date.now();
      const frame = JSON.parse(String(e.data)) as ServerFrame;
      if (frame.type === 'hello') {
        this._up = true;
        this._attempt = 0;
        this._refused = 0;
        clearInterval(this._beat);
        const every = Math.max(5_000, frame.heartbeatMs || 25_000);
        this._beat = setInterval(
          guard(() => this._heartbeat(every)),
          every,
        );
        this.hooks.up();
      }
      this.hooks.frame(frame);
    });
    ws.onclose = guard(() => {
      if (ws === this._ws) this._closed();
    });
  });

  private _heartbeat(every: number) {
    if (heartbeatAction(Date.now(), this._heard, every) === 'reconnect') {
      this._drop();
      this._schedule();
    } else this.send({ type: 'ping' });
  }

  /** Forgets the current socket; its late close event is ignored. */
  private _drop() {
    const ws = this._ws;
    this._ws = null;
    clearInterval(this._beat);
    if (!ws) return;
    ws.onmessage = ws.onclose = null;
    try {
      ws.close(1000);
    } catch {}
    if (this._up) {
      this._up = false;
      this.hooks.down();
    }
  }

  private _closed() {
    if (!this._up) this._refused++;
    this._ws = null;
    clearInterval(this._beat);
    this._up = false;
    this.hooks.down();
    this._schedule();
  }

  private _schedule() {
    if (!this._wanted) return;
    clearTimeout(this._retry);
    this._retry = setTimeout(this._connect, backoffDelay(this._attempt++));
  }
}
