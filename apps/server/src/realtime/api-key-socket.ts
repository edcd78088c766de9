import { assertKeyMay, DomainError } from '@platform/api';
import type { ApiKeyGrant, ApiKeyPrincipal } from '@platform/auth';
import type { BusEvent, ClientFrame } from '@platform/realtime';
import type { ApiKeyAuth } from '../api-keys/auth.ts';
import type { Principal } from './principal.ts';

/** The resources whose events the tenant topic carries; a key hears only those it may read. */
type TopicResource = 'conversations' | 'costs' | 'knowledge';
const TOPIC_RESOURCES: readonly TopicResource[] = ['conversations', 'costs', 'knowledge'];

const resourceOf = (event: BusEvent): TopicResource =>
  event.type === 'budget.alert'
    ? 'costs'
    : event.type === 'ingestion.progress'
      ? 'knowledge'
      : 'conversations';

/**
 * What each frame needs of a key's scopes, in the terms of api-key-scopes.ts (the
 * `conversations` resource): watching a conversation reads it; sending, stopping an answer,
 * asking for a person and typing (an event others see) write. The tenant topic needs read on
 * one of the resources it carries. Ping and unsubscribe touch nothing and need nothing.
 */
function needOf(f: ClientFrame): 'read' | 'write' | 'tenant' | null {
  switch (f.type) {
    case 'ping':
    case 'unsubscribe':
      return null;
    case 'subscribe':
      return f.conversationId ? 'read' : 'tenant';
    case 'send':
    case 'stop':
    case 'handoff':
    case 'typing':
      return 'write';
  }
}

/**
 * A socket opened with `Authorization: Bearer sk_live_...`: it acts for the key's creator in
 * the key's tenant (membership checked in every conversation transaction, as for /api/v1), and
 * only within the key's scopes. Every frame that acts counts as one request against the key's
 * per-minute limit, as an HTTP call would; the key is looked up again with it (through the
 * same cache as HTTP), so a key revoked on this instance stops at its next frame.
 */
export class KeySocket {
  readonly grant: ApiKeyGrant;
  /** Which of the tenant topic's resources this key may read, worked out once. */
  readonly #reads: ReadonlySet<TopicResource>;
  /** Frames are admitted one after another, so a socket's sends are stored in the order sent. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    /** The secret itself, kept in memory only, to count each frame against the key's limit. */
    private readonly key: string,
    readonly principal: ApiKeyPrincipal,
    private readonly auth: ApiKeyAuth,
  ) {
    this.grant = { id: principal.keyId, name: principal.name, scopes: principal.scopes };
    this.#reads = new Set(TOPIC_RESOURCES.filter((r) => this.#may(r, 'read')));
  }

  get keyId(): string {
    return this.principal.keyId;
  }

  get tenantId(): string {
    return this.principal.tenantId;
  }

  /** The member actor a key socket acts as: its creator, named after the key. */
  toPrincipal(): Principal {
    return {
      audience: 'member',
      origin: null,
      actor: {
        kind: 'member',
        tenantId: this.principal.tenantId,
        userId: this.principal.userId,
        name: this.principal.name,
      },
    };
  }

  #may(resource: TopicResource, need: 'read' | 'write'): boolean {
    try {
      assertKeyMay(this.grant, resource, need, resource);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Lets a frame through, or refuses it by throwing (rate_limited, or forbidden naming
   * `scope`: the gateway's error frames); 'revoked' when the key no longer authenticates (the
   * gateway then closes the socket with 4401).
   */
  admit(f: ClientFrame): Promise<'ok' | 'revoked'> {
    const need = needOf(f);
    const run = this.#queue.then(async (): Promise<'ok' | 'revoked'> => {
      if (!need) return 'ok';
      const outcome = await this.auth.check(this.key);
      if (!outcome.ok) {
        if (outcome.status === 401) return 'revoked';
        throw new DomainError('TOO_MANY_REQUESTS', outcome.message);
      }
      if (need === 'tenant') {
        if (this.#reads.size === 0)
          throw new DomainError(
            'FORBIDDEN',
            "This API key's scopes do not allow the tenant topic (needs read, conversations:read, costs:read or knowledge:read)",
            'scope',
          );
      } else assertKeyMay(this.grant, 'conversations', need, `the ${f.type} frame`);
      return 'ok';
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Whether an event may reach this key: the tenant topic carries costs and knowledge too. */
  mayReceive(event: BusEvent): boolean {
    return this.#reads.has(resourceOf(event));
  }
}
