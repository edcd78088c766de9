import { randomUUID } from 'node:crypto';
import { type Actor, asDomainError, type DomainErrorCode } from '@platform/api';
import {
  type BusEvent,
  type ClientFrame,
  type ErrorCode,
  frame,
  type ProtocolError,
  parseClientFrame,
  type ServerFrame,
} from '@platform/realtime';
import type { WebSocket } from 'ws';
import type { KeySocket } from './api-key-socket.ts';
import { TokenBucket } from './rate-limit.ts';

export interface ConnectionLimits {
  maxMessageBytes: number;
  bufferBytes: number;
  ratePerSecond: number;
  rateBurst: number;
}

/**
 * What opened a member's socket and must still hold at every heartbeat (credential-check.ts):
 * a session cookie, or an API key.
 */
export type Credential = { kind: 'session'; cookie: string } | { kind: 'api_key'; key: KeySocket };

/** Close codes: 4008 slow consumer (resync), 1008 policy (flooding), 1001 going away. */
export const CLOSE_SLOW = 4008;
export const CLOSE_POLICY = 1008;

const ERROR_CODES: Partial<Record<DomainErrorCode, ErrorCode>> = {
  BAD_REQUEST: 'invalid',
  UNAUTHORIZED: 'forbidden',
  FORBIDDEN: 'forbidden',
  NOT_FOUND: 'not_found',
  CONFLICT: 'conflict',
  PAYMENT_REQUIRED: 'payment_required',
  PAYLOAD_TOO_LARGE: 'message_too_large',
  TOO_MANY_REQUESTS: 'rate_limited',
};

/** One client socket: who it is, what it watches, and how far behind it may fall. */
export class Connection {
  readonly id = randomUUID();
  /** Topic keys (`tenant|topic`) this socket receives. */
  readonly topics = new Set<string>();
  /** Live events held back while a subscription's missed events are being replayed. */
  readonly held = new Map<string, BusEvent[]>();
  alive = true;
  /** Null for visitors and the operator. */
  credential: Credential | null = null;
  /** Settles when this socket's last send has been stored (sends are stored in order). */
  sendChain: Promise<void> = Promise.resolve();
  #cut = false;
  readonly #bucket: TokenBucket;
  #violations = 0;
  #lastTyping = new Map<string, number>();

  constructor(
    readonly ws: WebSocket,
    readonly actor: Actor,
    readonly audience: 'member' | 'visitor',
    readonly limits: ConnectionLimits,
    private readonly onSlow: (connection: Connection) => void,
  ) {
    this.#bucket = new TokenBucket(limits.ratePerSecond, limits.rateBurst);
  }

  get tenantId(): string {
    return this.actor.tenantId;
  }

  get open(): boolean {
    return !this.#cut && this.ws.readyState === this.ws.OPEN;
  }

  /**
   * Sends a serialised frame unless the client is too far behind: then it is cut off with a
   * resync message (it reconnects with its last event id), so one slow reader never holds
   * the server's memory.
   */
  sendRaw(data: string | Buffer): void {
    if (!this.open) return;
    if (this.ws.bufferedAmount + data.length > this.limits.bufferBytes) {
      this.#cut = true;
      this.ws.send(
        frame({ v: 1, type: 'resync', reason: 'slow consumer: reconnect with lastEventId' }),
      );
      this.ws.close(CLOSE_SLOW, 'slow consumer');
      // A reader that stopped reading never completes the closing handshake.
      setTimeout(() => this.ws.terminate(), 5_000).unref();
      this.onSlow(this);
      return;
    }
    // A Buffer is sent as is (encoded once for every subscriber), as a text frame.
    this.ws.send(data, { binary: false });
  }

  send(value: ServerFrame): void {
    this.sendRaw(frame(value));
  }

  error(error: ProtocolError): void {
    this.send({ v: 1, type: 'error', ...error });
  }

  /** Maps a thrown error to an error frame; unexpected faults are reported without detail. */
  fail(err: unknown, requestId?: string): 'internal' | ErrorCode {
    const domain = asDomainError(err);
    const code = domain ? (ERROR_CODES[domain.code] ?? 'invalid') : 'internal';
    this.error({
      code,
      message: domain ? domain.message : 'Something went wrong; try again',
      ...(domain?.field ? { field: domain.field } : {}),
      ...(requestId ? { requestId } : {}),
    });
    return code;
  }

  /**
   * Checks the rate limit and parses a frame. Over the limit, the frame is refused with an
   * error; a client that keeps flooding after three refusals in a row is disconnected.
   */
  receive(raw: string): ClientFrame | null {
    this.alive = true;
    if (!this.#bucket.take()) {
      this.#violations++;
      if (this.#violations > 3 * this.limits.rateBurst) {
        this.ws.close(CLOSE_POLICY, 'rate limit exceeded');
        return null;
      }
      if (this.#violations === 1 || this.#violations % 50 === 0)
        this.error({ code: 'rate_limited', message: 'Too many frames; slow down' });
      return null;
    }
    this.#violations = 0;
    const parsed = parseClientFrame(raw, { maxMessageBytes: this.limits.maxMessageBytes });
    if (!parsed.ok) {
      this.error(parsed.error);
      return null;
    }
    return parsed.frame;
  }

  /** Typing indicators are published at most once a second per conversation. */
  typingAllowed(conversationId: string, now = Date.now()): boolean {
    const last = this.#lastTyping.get(conversationId) ?? 0;
    if (now - last < 1000) return false;
    this.#lastTyping.set(conversationId, now);
    return true;
  }
}
