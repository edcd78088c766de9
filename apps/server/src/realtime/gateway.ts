import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { assertMfaPolicy, DomainError } from '@platform/api';
import { bearerApiKey, liveApiKeys } from '@platform/auth';
import {
  type BusEvent,
  type ClientFrame,
  compareEventIds,
  conversationTopic,
  eventFrame,
  type Topic,
} from '@platform/realtime';
import type { FastifyInstance } from 'fastify';
import { LRUCache } from 'lru-cache';
import { WebSocketServer } from 'ws';
import { INVALID_API_KEY } from '../api-keys/auth.ts';
import type { Platform } from '../platform.ts';
import { KeySocket } from './api-key-socket.ts';
import { Connection, type Credential } from './connection.ts';
import { CLOSE_CREDENTIAL_ENDED, createCredentialCheck } from './credential-check.ts';
import { PresenceCoalescer } from './presence.ts';
import { createPrincipalResolver, isRefusal, type Principal } from './principal.ts';
import { forVisitor } from './redact.ts';
import { redeliveryKey } from './redelivery.ts';

/** Missed events replayed from the stream before falling back to the database. */
const MAX_STREAM_REPLAY = 5_000;
const REPLAY_PAGE = 1_000;
/** Whole frames larger than this close the socket (1009); message text has its own, smaller limit. */
const MAX_FRAME_BYTES = 256 * 1024;

const keyOf = (tenantId: string, topic: Topic | string) => `${tenantId}|${topic}`;

export type Gateway = {
  connections(): number;
  /**
   * Runs one heartbeat round's check of the member sockets' sessions and API keys now (the
   * heartbeat runs it every interval); joins the round in progress if there is one.
   */
  checkCredentials(): Promise<void>;
  close(): Promise<void>;
};

declare module 'fastify' {
  interface FastifyInstance {
    /** The /ws gateway (realtime/gateway.ts). */
    realtime: Gateway;
  }
}

/**
 * The WebSocket endpoint at /ws. One connection carries subscriptions to many conversations
 * (and, for members, the tenant's inbox, budget alerts and ingestion progress). Events come
 * from the bus, so a client sees what happens on any instance; a client that reconnects with
 * its last event id gets what it missed from the stream, or from the database when the
 * stream no longer reaches back.
 */
export function attachGateway(app: FastifyInstance, platform: Platform): Gateway {
  const { config, bus, conversations, log } = platform;
  const resolvePrincipal = createPrincipalResolver(platform);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
  });
  const limits = {
    maxMessageBytes: config.REALTIME_MAX_MESSAGE_BYTES,
    bufferBytes: config.REALTIME_BUFFER_BYTES,
    ratePerSecond: config.REALTIME_RATE_PER_SECOND,
    rateBurst: config.REALTIME_RATE_BURST,
  };
  const heartbeatMs = config.REALTIME_HEARTBEAT_SECONDS * 1000;
  const connections = new Set<Connection>();
  const subscribers = new Map<string, Set<Connection>>();
  let closing = false;

  // ---- delivery ------------------------------------------------------------------------

  // A tenant's stream is delivered in order; anything at or before the last id seen is a
  // redelivery (a reclaimed entry, a group recreated after a Redis restart) and is dropped.
  const lastDelivered = new Map<string, string>();
  // The bus delivers at least once: a write retried across a Redis failure can land twice
  // under two ids. A message, a delta or an alert is shown once, whatever the stream holds.
  const seen = new LRUCache<string, true>({ max: 200_000 });
  const unlisten = bus.onEvent((event) => {
    if (event.topic === 'control') return;
    const previous = lastDelivered.get(event.tenantId);
    if (previous && compareEventIds(event.id, previous) <= 0) return;
    lastDelivered.set(event.tenantId, event.id);
    const key = redeliveryKey(event);
    if (key) {
      if (seen.has(key)) return;
      seen.set(key, true);
    }
    const direct = subscribers.get(keyOf(event.tenantId, event.topic));
    // The inbox (tenant topic) also follows every conversation's state.
    const inbox =
      event.type === 'conversation.updated' && event.topic !== 'tenant'
        ? subscribers.get(keyOf(event.tenantId, 'tenant'))
        : undefined;
    if (!direct && !inbox) return;
    let memberFrame: Buffer | undefined;
    let visitorFrame: Buffer | undefined;
    const deliver = (c: Connection, key: string) => {
      if (!receives(c, event)) return;
      const held = c.held.get(key);
      if (held) {
        held.push(event);
        return;
      }
      // Serialised and encoded once per audience, however many sockets receive it.
      if (c.audience === 'visitor') {
        visitorFrame ??= Buffer.from(eventFrame(forVisitor(event)));
        c.sendRaw(visitorFrame);
      } else {
        memberFrame ??= Buffer.from(eventFrame(event));
        c.sendRaw(memberFrame);
      }
    };
    if (direct) for (const c of direct) deliver(c, keyOf(event.tenantId, event.topic));
    if (inbox) for (const c of inbox) deliver(c, keyOf(event.tenantId, 'tenant'));
  });

  /** An API key hears only the resources its scopes read (the tenant topic mixes three). */
  const receives = (c: Connection, event: BusEvent) =>
    c.credential?.kind !== 'api_key' || c.credential.key.mayReceive(event);

  const sendEvent = (c: Connection, event: BusEvent) => {
    if (receives(c, event))
      c.sendRaw(eventFrame(c.audience === 'visitor' ? forVisitor(event) : event));
  };

  const belongsTo = (event: BusEvent, topic: Topic) =>
    event.topic === topic ||
    (topic === 'tenant' && event.type === 'conversation.updated' && event.topic !== 'control');

  // ---- subscriptions -------------------------------------------------------------------

  function addSubscriber(c: Connection, key: string) {
    let set = subscribers.get(key);
    if (!set) {
      set = new Set();
      subscribers.set(key, set);
    }
    set.add(c);
    c.topics.add(key);
  }

  function removeSubscriber(c: Connection, key: string) {
    const set = subscribers.get(key);
    set?.delete(c);
    if (set?.size === 0) subscribers.delete(key);
    c.topics.delete(key);
    c.held.delete(key);
    bus.unwatch(c.tenantId);
  }

  /** Stream events after lastEventId for one topic, or null when the stream has a gap. */
  async function missedFromStream(tenantId: string, lastEventId: string, topic: Topic) {
    const out: BusEvent[] = [];
    let cursor = lastEventId;
    for (let scanned = 0; scanned < MAX_STREAM_REPLAY; scanned += REPLAY_PAGE) {
      const page = await bus.since(tenantId, cursor, REPLAY_PAGE);
      if (page === null) return null;
      out.push(...page.filter((e) => belongsTo(e, topic)));
      const last = page.at(-1);
      if (page.length < REPLAY_PAGE || !last) return out;
      cursor = last.id;
    }
    return null;
  }

  async function subscribe(c: Connection, f: Extract<ClientFrame, { type: 'subscribe' }>) {
    const { actor } = c;
    const conversationId = f.conversationId ?? null;
    if (!conversationId && c.audience !== 'member') {
      c.error({
        code: 'forbidden',
        message: 'Visitors subscribe to their conversations only',
        field: 'conversationId',
        ...(f.requestId ? { requestId: f.requestId } : {}),
      });
      return;
    }
    // Access is checked before anything is delivered: NOT_FOUND for another visitor's or tenant's.
    if (conversationId) await conversations.get(actor, conversationId);
    // A member's inbox: membership and the organisation's MFA policy, as for every tenant call.
    else if (actor.kind === 'member')
      await platform.db.withTenant(
        actor.tenantId,
        async (_tx, member) => {
          if (!member)
            throw new DomainError('FORBIDDEN', 'You are not a member of this organisation');
          assertMfaPolicy(member);
        },
        { memberId: actor.userId },
      );
    const topic: Topic = conversationId ? conversationTopic(conversationId) : 'tenant';
    const key = keyOf(c.tenantId, topic);
    // Live events wait while missed ones are replayed, so nothing arrives out of order.
    if (!c.held.has(key)) c.held.set(key, []);
    if (!c.topics.has(key)) {
      addSubscriber(c, key);
      await bus.watch(c.tenantId);
    }
    let replayed = 0;
    let source: 'none' | 'stream' | 'database' = 'none';
    let lastSent = f.lastEventId ?? null;
    try {
      if (f.lastEventId) {
        const missed = await missedFromStream(c.tenantId, f.lastEventId, topic);
        if (missed) {
          source = 'stream';
          for (const event of missed) sendEvent(c, event);
          replayed = missed.length;
          lastSent = missed.at(-1)?.id ?? lastSent;
        } else if (conversationId) {
          source = 'database';
          const { messages, conversation } = await conversations.replayFromDatabase(
            actor,
            conversationId,
            f.lastEventId,
          );
          // As events, so a visitor's copy goes through the same redaction as live ones.
          const tenantId = c.tenantId;
          for (const message of messages)
            sendEvent(c, {
              id: `${Date.parse(message.createdAt)}-0`,
              tenantId,
              topic,
              type: 'message.created',
              data: { conversationId, message },
            });
          sendEvent(c, {
            id: `${Date.now()}-0`,
            tenantId,
            topic,
            type: 'conversation.updated',
            data: { conversationId, conversation },
          });
          replayed = messages.length + 1;
          lastSent = null;
        } else {
          source = 'database';
          c.send({
            v: 1,
            type: 'resync',
            reason: 'the inbox changed while you were away: reload it',
          });
          lastSent = null;
        }
      }
    } finally {
      // Live events that arrived during the replay, without repeating what the replay sent.
      const held = c.held.get(key) ?? [];
      c.held.delete(key);
      for (const event of held)
        if (!lastSent || source !== 'stream' || compareEventIds(event.id, lastSent) > 0)
          sendEvent(c, event);
    }
    c.send({
      v: 1,
      type: 'subscribed',
      ...(f.requestId ? { requestId: f.requestId } : {}),
      conversationId,
      replayed,
      source,
    });
    if (conversationId) presence(c, conversationId, 'joined');
  }

  const presenceChanges = new PresenceCoalescer((tenantId, change) => {
    bus
      .publish({
        tenantId,
        topic: conversationTopic(change.conversationId),
        type: 'presence',
        data: { ...change },
      })
      .catch(() => {});
  });
  function presence(c: Connection, conversationId: string, state: 'joined' | 'left') {
    presenceChanges.note(c.tenantId, conversationId, state, {
      kind: c.audience,
      name: c.actor.name,
      connectionId: c.id,
    });
  }

  // ---- frames --------------------------------------------------------------------------

  async function handle(c: Connection, f: ClientFrame): Promise<void> {
    const rid = 'requestId' in f && f.requestId ? { requestId: f.requestId } : {};
    // A key socket's frames are counted against the key's limit and held to its scopes first.
    if (c.credential?.kind === 'api_key' && (await c.credential.key.admit(f)) === 'revoked') {
      c.ws.close(CLOSE_CREDENTIAL_ENDED, 'api key no longer valid');
      return;
    }
    switch (f.type) {
      case 'ping':
        c.send({ v: 1, type: 'pong', ...rid });
        return;
      case 'subscribe':
        return subscribe(c, f);
      case 'unsubscribe': {
        const topic: Topic = f.conversationId ? conversationTopic(f.conversationId) : 'tenant';
        const key = keyOf(c.tenantId, topic);
        if (c.topics.has(key)) {
          removeSubscriber(c, key);
          if (f.conversationId) presence(c, f.conversationId, 'left');
        }
        c.send({ v: 1, type: 'unsubscribed', ...rid, conversationId: f.conversationId ?? null });
        return;
      }
      case 'send': {
        // A client's messages are stored in the order it sent them: each send waits until the
        // one before it was stored (not until it was answered).
        const previous = c.sendChain;
        let stored = () => {};
        c.sendChain = new Promise<void>((resolve) => {
          stored = resolve;
        });
        await previous;
        try {
          const outcome = await conversations.send(
            c.actor,
            {
              conversationId: f.conversationId,
              text: f.text,
              ...(f.clientMessageId ? { clientMessageId: f.clientMessageId } : {}),
            },
            {
              onAccepted: (message) => {
                stored();
                c.send({ v: 1, type: 'ack', ...rid, data: { stage: 'accepted', message } });
              },
            },
          );
          c.send({
            v: 1,
            type: 'ack',
            ...rid,
            data: {
              stage: 'done',
              duplicate: outcome.duplicate,
              replyId: outcome.reply?.id ?? null,
              handoff: outcome.handoff,
            },
          });
        } finally {
          stored();
        }
        return;
      }
      case 'stop':
        await conversations.stopAnswer(c.actor, f.conversationId);
        c.send({
          v: 1,
          type: 'ack',
          ...rid,
          data: { stage: 'stopping', conversationId: f.conversationId },
        });
        return;
      case 'handoff': {
        const conversation = await conversations.requestHuman(c.actor, f.conversationId);
        c.send({ v: 1, type: 'ack', ...rid, data: { stage: 'handoff', conversation } });
        return;
      }
      case 'typing': {
        if (!c.topics.has(keyOf(c.tenantId, conversationTopic(f.conversationId)))) {
          c.error({
            code: 'not_found',
            message: 'Subscribe to the conversation first',
            field: 'conversationId',
          });
          return;
        }
        if (!c.typingAllowed(f.conversationId) && f.typing) return;
        await bus.publish({
          tenantId: c.tenantId,
          topic: conversationTopic(f.conversationId),
          type: 'typing',
          data: {
            conversationId: f.conversationId,
            typing: f.typing,
            who: { kind: c.audience, name: c.actor.name, connectionId: c.id },
          },
        });
        return;
      }
    }
  }

  // ---- connections ---------------------------------------------------------------------

  function cleanup(c: Connection) {
    if (!connections.delete(c)) return;
    for (const key of [...c.topics]) {
      removeSubscriber(c, key);
      const conversationId = key.split('|conversation:')[1];
      if (conversationId) presence(c, conversationId, 'left');
    }
  }

  function accept(principal: Principal, ws: import('ws').WebSocket, credential: Credential | null) {
    const c = new Connection(ws, principal.actor, principal.audience, limits, cleanup);
    c.credential = credential;
    connections.add(c);
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        c.error({ code: 'bad_frame', message: 'Frames must be JSON text' });
        return;
      }
      const f = c.receive(data.toString());
      if (!f) return;
      if (closing) {
        c.error({ code: 'unavailable', message: 'The server is shutting down; reconnect' });
        return;
      }
      // Shutdown waits for frames being handled (an answer being written) before it closes
      // the bus and the database, as it does for HTTP requests.
      const release = app.inFlight.hold();
      handle(c, f)
        .catch((err: unknown) => {
          const code = c.fail(err, 'requestId' in f ? f.requestId : undefined);
          if (code === 'internal') log.error({ err, frame: f.type }, 'websocket frame failed');
        })
        .finally(release);
    });
    ws.on('pong', () => {
      c.alive = true;
    });
    ws.on('close', () => cleanup(c));
    ws.on('error', () => cleanup(c));
    c.send({
      v: 1,
      type: 'hello',
      connectionId: c.id,
      heartbeatMs,
      identity: { kind: principal.audience, tenantId: c.tenantId, name: principal.actor.name },
    });
  }

  function refuse(
    socket: Duplex,
    status: number,
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) {
    const json = JSON.stringify(body);
    const reason =
      {
        400: 'Bad Request',
        401: 'Unauthorized',
        403: 'Forbidden',
        429: 'Too Many Requests',
        503: 'Service Unavailable',
      }[status] ?? 'Error';
    const extra = Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n${extra}Connection: close\r\n\r\n${json}`,
    );
  }

  /**
   * An upgrade with `Authorization: Bearer sk_...`: judged by the key alone. The key counts one
   * request against its per-minute limit (429 with Retry-After over it), and its creator must
   * still be a member. Unknown, malformed, revoked and expired keys, and keys whose creator
   * left, get one answer (401 Invalid API key). No Origin check: a key is no ambient
   * credential (a browser never attaches one by itself), so a page elsewhere cannot ride it.
   */
  async function upgradeWithKey(key: string, req: IncomingMessage, socket: Duplex, head: Buffer) {
    const outcome = await platform.apiKeys.check(key);
    if (outcome.ok) {
      const { tenantId, keyId } = outcome.principal;
      if (!(await liveApiKeys(platform.db, tenantId, [keyId])).has(keyId))
        return refuse(socket, 401, { error: { code: 'unauthorized', message: INVALID_API_KEY } });
      const keySocket = new KeySocket(key, outcome.principal, platform.apiKeys);
      return wss.handleUpgrade(req, socket, head, (ws) =>
        accept(keySocket.toPrincipal(), ws, { kind: 'api_key', key: keySocket }),
      );
    }
    return refuse(
      socket,
      outcome.status,
      {
        error: {
          code: outcome.status === 429 ? 'rate_limited' : 'unauthorized',
          message: outcome.message,
        },
      },
      outcome.retryAfter ? { 'Retry-After': String(outcome.retryAfter) } : {},
    );
  }

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/ws')
      return refuse(socket, 400, {
        error: { code: 'not_found', message: 'WebSocket endpoint is /ws' },
      });
    if (closing)
      return refuse(socket, 503, {
        error: { code: 'unavailable', message: 'Server is shutting down' },
      });
    // A key in the URL would be written to access logs and proxies' histories: refused
    // whatever it is (valid or not), so nothing about it is confirmed.
    if (url.searchParams.get('token')?.startsWith('sk_'))
      return refuse(socket, 401, {
        error: {
          code: 'unauthorized',
          message: 'Send API keys in the Authorization header (Bearer), never in the URL',
        },
      });
    // A key beside a session cookie (or a visitor token) decides alone, as on /trpc and /api/v1:
    // the cookie is neither read nor kept, so it adds no authority and no Origin check applies.
    const apiKey = bearerApiKey(req.headers.authorization);
    if (apiKey) {
      upgradeWithKey(apiKey, req, socket, head).catch((err: unknown) => {
        log.error({ err }, 'websocket api key authentication failed');
        refuse(socket, 503, { error: { code: 'unavailable', message: 'Try again shortly' } });
      });
      return;
    }
    resolvePrincipal(
      {
        cookie: req.headers.cookie,
        authorization: req.headers.authorization,
        origin: req.headers.origin,
      },
      url.searchParams.get('token'),
    )
      .then((principal) => {
        if (isRefusal(principal))
          return refuse(socket, principal.status, {
            error: { code: principal.code, message: principal.message },
          });
        // A member's socket rides a session: kept, to end the socket when the session ends.
        const cookie =
          principal.actor.kind === 'member' &&
          !req.headers.authorization &&
          !url.searchParams.get('token')
            ? req.headers.cookie
            : undefined;
        wss.handleUpgrade(req, socket, head, (ws) =>
          accept(principal, ws, cookie ? { kind: 'session', cookie } : null),
        );
      })
      .catch((err: unknown) => {
        log.error({ err }, 'websocket authentication failed');
        refuse(socket, 503, { error: { code: 'unavailable', message: 'Try again shortly' } });
      });
  }

  app.server.on('upgrade', onUpgrade);

  // A socket opened with a session cookie lives only as long as the session (signed out,
  // revoked, or past its idle or absolute limit), one opened with an API key as long as the
  // key (revoked, expired, or its creator gone): closed (4401) at the next heartbeat. One round
  // checks every socket in batches (credential-check.ts); rounds never overlap.
  const credentialCheck = createCredentialCheck({
    identity: platform.identity,
    db: platform.db,
    log,
  });
  let round: Promise<void> | undefined;
  const checkCredentials = () => {
    round ??= credentialCheck(connections).finally(() => {
      round = undefined;
    });
    return round;
  };

  // Heartbeats: a ping each interval; a connection that did not answer the last one is dropped.
  const heartbeat = setInterval(() => {
    for (const c of connections) {
      if (!c.alive) {
        c.ws.terminate();
        cleanup(c);
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
    checkCredentials().catch((err: unknown) =>
      log.warn({ err }, 'websocket credential check failed'),
    );
  }, heartbeatMs);
  heartbeat.unref();

  const gateway: Gateway = {
    connections: () => connections.size,
    checkCredentials,
    close: async () => {
      closing = true;
      clearInterval(heartbeat);
      unlisten();
      app.server.off('upgrade', onUpgrade);
      // 1001: clients reconnect (to another instance) and resume from their last event id.
      for (const c of connections) c.ws.close(1001, 'server shutting down');
      presenceChanges.flush();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      setTimeout(() => {
        for (const c of connections) c.ws.terminate();
      }, 2_000).unref();
    },
  };
  app.addHook('preClose', async () => gateway.close());
  app.decorate('realtime', gateway);
  return gateway;
}
