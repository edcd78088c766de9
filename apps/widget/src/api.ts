import { type Saved, type SavedState, tokenUsable } from './saved.ts';
import type { Conversation, Message, Session } from './wire.ts';

export type Visitor = { name?: string; email?: string };

/**
 * The REST side: the visitor session (POST /api/v1/widget/session) and /api/v1/conversations
 * with `Authorization: Bearer <visitor token>`. Tokens are reused while valid, renewed shortly
 * before they expire or when the server says 401, and a renewal sends the old token along so
 * the visitor keeps their id (and so their conversation).
 */

/** A failed call, with the error code the view localises. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
  ) {
    super(`chat widget: ${code} (${status})`);
  }
}

const CODE_OF: Record<number, string> = {
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  413: 'message_too_large',
  429: 'rate_limited',
};

export const codeOfStatus = (status: number) =>
  CODE_OF[status] ?? (status >= 500 || status === 402 || status === 0 ? 'unavailable' : 'error');

export class Api {
  private _renewing: Promise<string> | null = null;

  constructor(
    private readonly base: string,
    private readonly widgetKey: string,
    private readonly saved: SavedState,
    private readonly onSession: (session: Session) => void,
  ) {}

  private async _fetch<T>(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.base + path, {
        method,
        // Never cookies: the widget runs on other sites and speaks only with its token.
        credentials: 'omit',
        headers: {
          accept: 'application/json',
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    } catch {
      throw new ApiError('unavailable', 0);
    }
    if (!response.ok) throw new ApiError(codeOfStatus(response.status), response.status);
    return (await response.json()) as T;
  }

  /** A usable visitor token: the saved one, or a new session (`fresh` forces one). */
  token(fresh = false): Promise<string> {
    const saved: Saved = this.saved.get();
    if (!fresh && tokenUsable(saved) && saved.token) return Promise.resolve(saved.token);
    // One renewal at a time, however many calls noticed the expiry together.
    this._renewing ??= this._fetch<Session>('POST', '/api/v1/widget/session', {
      widgetKey: this.widgetKey,
      ...(saved.token ? { visitorToken: saved.token } : {}),
      ...(saved.name ? { name: saved.name } : {}),
    })
      .catch((error: unknown) => {
        // The server refuses an unknown or rotated key (401) and a page off the allow-list
        // (403), readably: the visitor is told which.
        throw error instanceof ApiError && error.status === 401
          ? new ApiError('bad_key', 401)
          : error;
      })
      .then((session) => {
        if (session.visitorId !== saved.visitorId)
          this.saved.set({ conversationId: undefined, lastEventId: undefined });
        this.saved.set({
          token: session.token,
          expiresAt: session.expiresAt,
          visitorId: session.visitorId,
        });
        this.onSession(session);
        return session.token;
      })
      .finally(() => {
        this._renewing = null;
      });
    return this._renewing;
  }

  /** An authenticated call; a 401 (token expired or revoked) renews once and retries. */
  private async _call<T>(method: string, path: string, body?: unknown): Promise<T> {
    try {
      return await this._fetch<T>(method, path, body, await this.token());
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      return this._fetch<T>(method, path, body, await this.token(true));
    }
  }

  createConversation(visitor: Visitor) {
    return this._call<Conversation>('POST', '/api/v1/conversations', {
      ...(visitor.name ? { visitorName: visitor.name } : {}),
      ...(visitor.email ? { visitorEmail: visitor.email } : {}),
    });
  }

  /** Tells the members answering who the visitor is (the server checks the email's form). */
  identify(id: string, visitor: Visitor) {
    return this._call<Conversation>(
      'POST',
      `/api/v1/conversations/${encodeURIComponent(id)}/visitor`,
      visitor,
    );
  }

  conversation(id: string) {
    return this._call<Conversation>('GET', `/api/v1/conversations/${encodeURIComponent(id)}`);
  }

  async messages(id: string): Promise<Message[]> {
    const page = await this._call<{ items: Message[] }>(
      'GET',
      `/api/v1/conversations/${encodeURIComponent(id)}/messages?limit=200`,
    );
    return page.items;
  }

  handoff(id: string) {
    return this._call<Conversation>(
      'POST',
      `/api/v1/conversations/${encodeURIComponent(id)}/handoff`,
      {},
    );
  }

  /** The server keeps one thumbs rating per conversation: -1 or 1. */
  rate(id: string, value: 1 | -1) {
    return this._call<Conversation>(
      'POST',
      `/api/v1/conversations/${encodeURIComponent(id)}/rating`,
      { scale: 'thumbs', value },
    );
  }
}
