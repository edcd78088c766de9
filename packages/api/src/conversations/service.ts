import type { AiService } from '@platform/ai';
import { createWorker, type Database, schema } from '@platform/db';
import { type BusEvent, conversationTopic, type EventBus, eventIdTime } from '@platform/realtime';
import { eq } from 'drizzle-orm';
import type { Log } from '../context.ts';
import { createWidgetSnapshots } from '../widgets/snapshot.ts';
import type { Actor } from './actor.ts';
import { type ConversationDeps, inTenant, publish } from './deps.ts';
import { Generations } from './generations.ts';
import { readHandoffRules } from './handoff-rules.ts';
import { type InboxQuery, listConversations, listMessages } from './inbox.ts';
import {
  type CreateInput,
  claimConversation,
  createConversation,
  getConversation,
  identifyVisitor,
  type RatingInput,
  rateConversation,
  releaseConversation,
  reopenConversation,
  requestHuman,
  resolveConversation,
  tagConversation,
} from './manage.ts';
import { recentTurns } from './memory.ts';
import {
  REPLY_QUEUE,
  type SendHooks,
  type SendInput,
  sendMessage,
  widgetCollection,
  writeAnswer,
} from './send.ts';
import { loadConversation } from './store.ts';
import { type Counters, createVisitorLimits, memoryCounters } from './visitor-limits.ts';

/** Clock skew allowed between Redis (which stamps event ids) and the database (which stamps rows). */
const REPLAY_SKEW_MS = 5_000;

export interface ConversationServiceOptions {
  db: Database;
  ai: AiService;
  bus: EventBus;
  log: Log;
  /** How long a reply may take before another instance writes it instead (ms). */
  replyGuardMs: number;
  pollMs?: number;
  /** Where visitors' message counts are kept (default: in this process). */
  counters?: Counters;
}

/**
 * Conversations, shared by every entry point (tRPC, WebSocket, REST/SSE, the CLI): creating,
 * sending (chat.send), stopping, handoff, the inbox. It also answers for a crashed instance
 * (the reply guard queue) and honours stop requests published by other instances.
 */
export function createConversationService(options: ConversationServiceOptions) {
  const widgets = createWidgetSnapshots(options.db);
  const deps: ConversationDeps = {
    widgets,
    db: options.db,
    ai: options.ai,
    bus: options.bus,
    log: options.log,
    generations: new Generations(),
    replyGuardMs: options.replyGuardMs,
    visitorLimits: createVisitorLimits({
      db: options.db,
      widgets,
      counters: options.counters ?? memoryCounters(),
      log: options.log,
    }),
  };

  const stopListener = (event: BusEvent) => {
    if (event.type === 'generation.stop' && typeof event.data.conversationId === 'string')
      deps.generations.stop(event.data.conversationId);
  };
  // Registered at once, so even a process that never starts the guard (the CLI) honours stops.
  const unlisten = options.bus.onEvent(stopListener);

  // The instance that began an answer died before storing it: write it here. Watchers see the
  // deltas and the final message on the bus as usual.
  const guard = createWorker(options.db, {
    queue: REPLY_QUEUE,
    concurrency: 2,
    tenantConcurrency: 2,
    ...(options.pollMs ? { pollMs: options.pollMs } : {}),
    handle: async (job) => {
      const { conversationId, messageId, replyId } = job.payload as Record<string, string>;
      if (!conversationId || !messageId || !replyId) return;
      const operator: Actor = { kind: 'operator', tenantId: job.tenantId, name: 'system' };
      const work = await inTenant(deps, operator, async (tx) => {
        const m = schema.messages;
        const [done] = await tx.select({ id: m.id }).from(m).where(eq(m.id, replyId));
        if (done) return null;
        const conversation = await loadConversation(tx, operator, conversationId);
        if (conversation.handler !== 'ai' || conversation.status === 'waiting') return null;
        const [question] = await tx.select().from(m).where(eq(m.id, messageId));
        if (!question) return null;
        return {
          conversation,
          question,
          history: await recentTurns(tx, conversationId, messageId),
          rules: await readHandoffRules(tx, job.tenantId),
        };
      });
      if (!work) return;
      options.log.warn(
        { conversationId, jobId: job.id },
        'answering for an instance that stopped mid-answer',
      );
      await writeAnswer(deps, {
        ...work,
        collectionId: await widgetCollection(deps, work.conversation),
        replyId,
        guardJobId: null,
        started: performance.now(),
        hooks: {},
      });
    },
    onError: (error, job) => options.log.warn({ err: error, jobId: job.id }, 'reply guard failed'),
  });

  return {
    /** A widget as its visitors see it (cached): the gateway checks a visitor's widget with it. */
    widget: widgets,
    create: (actor: Actor, input: CreateInput) => createConversation(deps, actor, input),
    get: (actor: Actor, id: string) => getConversation(deps, actor, id),
    list: (actor: Actor, query: InboxQuery) => listConversations(deps, actor, query),
    messages: (actor: Actor, id: string, opts?: { limit?: number }) =>
      listMessages(deps, actor, id, opts),
    send: (actor: Actor, input: SendInput, hooks?: SendHooks) =>
      sendMessage(deps, actor, input, hooks),
    /** Stops the answer being written in a conversation, on whichever instance writes it. */
    stopAnswer: async (actor: Actor, id: string) => {
      await inTenant(deps, actor, (tx) => loadConversation(tx, actor, id));
      const here = deps.generations.stop(id);
      publish(deps, actor.tenantId, 'control', 'generation.stop', { conversationId: id });
      return { stopping: true, here };
    },
    identifyVisitor: (actor: Actor, id: string, visitor: { name?: string; email?: string }) =>
      identifyVisitor(deps, actor, id, visitor),
    requestHuman: (actor: Actor, id: string, reason?: string) =>
      requestHuman(deps, actor, id, reason),
    claim: (actor: Actor, id: string) => claimConversation(deps, actor, id),
    release: (actor: Actor, id: string) => releaseConversation(deps, actor, id),
    resolve: (actor: Actor, id: string) => resolveConversation(deps, actor, id),
    reopen: (actor: Actor, id: string) => reopenConversation(deps, actor, id),
    rate: (actor: Actor, id: string, rating: RatingInput) =>
      rateConversation(deps, actor, id, rating),
    tag: (actor: Actor, id: string, change: { add?: string[]; remove?: string[] }) =>
      tagConversation(deps, actor, id, change),
    /**
     * What a client missed when the stream no longer reaches back to its last event: every
     * message stored since that event's time (less a skew margin; clients drop duplicates by
     * message id), and the conversation as it is now.
     */
    replayFromDatabase: async (actor: Actor, id: string, lastEventId: string) => {
      const since = new Date(eventIdTime(lastEventId) - REPLAY_SKEW_MS);
      const [messages, conversation] = await Promise.all([
        listMessages(deps, actor, id, { since, limit: 1000 }),
        getConversation(deps, actor, id),
      ]);
      return { messages, conversation };
    },
    topic: conversationTopic,
    /** Starts answering for instances that died mid-answer. */
    start: () => guard.start(),
    close: async () => {
      unlisten();
      deps.generations.stopAll();
      await guard.stop();
    },
  };
}

export type ConversationService = ReturnType<typeof createConversationService>;
