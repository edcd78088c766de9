import { randomUUID } from 'node:crypto';
import {
  type AnswerResult,
  BudgetExhaustedError,
  type Personality,
  type PreparedQuestion,
  personalityOrDefault,
} from '@platform/ai';
import { enqueueJob, schema, type Tx } from '@platform/db';
import { conversationTopic } from '@platform/realtime';
import { and, eq, gt, sql } from 'drizzle-orm';
import { DomainError } from '../errors.ts';
import type { Actor } from './actor.ts';
import {
  type ConversationDeps,
  inTenant,
  publish,
  publishConversation,
  publishMessage,
} from './deps.ts';
import {
  asksForHuman,
  type HandoffRules,
  lowConfidenceReason,
  matchedKeyword,
  readHandoffRules,
} from './handoff-rules.ts';
import { extendSummary, RECENT_TURNS, recentTurns, SUMMARISE_AFTER } from './memory.ts';
import {
  appendMessage,
  assistantName,
  loadConversation,
  type MessageRow,
  type NewMessage,
  updateConversation,
  viewOf,
} from './store.ts';
import { type MessageView, messageFor, messageView } from './views.ts';

export const REPLY_QUEUE = 'conversation-replies';

export interface SendInput {
  conversationId: string;
  text: string;
  clientMessageId?: string;
}

export interface SendHooks {
  /** Each piece of the answer as it streams (the same deltas go out on the bus). */
  onDelta?: (delta: string) => void;
  /** Called once the sender's own message is stored, before any answer streams. */
  onAccepted?: (message: MessageView) => void;
  signal?: AbortSignal;
}

export interface SendOutcome {
  message: MessageView;
  /** The assistant's answer, or null when it stayed silent (a human holds the conversation). */
  reply: MessageView | null;
  /** Why the conversation went to a human instead, if it did. */
  handoff: string | null;
  /** The same clientMessageId was sent before: nothing new was stored or answered. */
  duplicate: boolean;
}

type ConversationRow = typeof schema.chatSessions.$inferSelect;

/** What happens after a message is stored. */
type Plan =
  | { kind: 'silent' }
  | { kind: 'handoff'; reason: string }
  | {
      kind: 'answer';
      replyId: string;
      guardJobId: string;
      history: Awaited<ReturnType<typeof recentTurns>>;
      rules: HandoffRules;
    };

function authorship(
  actor: Actor,
  conversation: ConversationRow,
): Pick<NewMessage, 'role' | 'authorType' | 'authorUserId' | 'authorName'> {
  if (actor.kind === 'visitor')
    return { role: 'user', authorType: 'visitor', authorUserId: null, authorName: actor.name };
  if (actor.kind === 'operator')
    return { role: 'user', authorType: 'member', authorUserId: null, authorName: actor.name };
  if (conversation.handler === 'human' && conversation.assignedUserId === actor.userId)
    return {
      role: 'assistant',
      authorType: 'agent',
      authorUserId: actor.userId,
      authorName: actor.name,
    };
  if (conversation.channel === 'widget' || conversation.channel === 'meeting')
    throw new DomainError('CONFLICT', 'Claim the conversation before replying to the visitor');
  return { role: 'user', authorType: 'member', authorUserId: actor.userId, authorName: actor.name };
}

/** Moves a conversation to a human, with a note the visitor sees. Runs in the caller's tx. */
export async function moveToHuman(
  tx: Tx,
  conversation: ConversationRow,
  reason: string,
): Promise<{ conversation: ConversationRow; note: MessageRow }> {
  const updated = await updateConversation(tx, conversation.id, {
    status: 'waiting',
    handoffReason: reason,
    handoffAt: new Date(),
  });
  const { row: note, conversation: after } = await appendMessage(tx, updated, {
    role: 'system',
    authorType: 'system',
    content: 'A member of the team has been asked to join; they will reply here.',
  });
  return { conversation: after, note };
}

/**
 * chat.send: store the sender's message, then (unless a human holds the conversation or it is
 * handed over) retrieve within the personality's scope, route, stream the answer to the bus
 * and to the caller, and store it with its citations, tier, model, cost and latency breakdown.
 * A durable guard job is queued with the message: if this process dies mid-answer, another
 * instance writes the reply once the guard is due.
 */
export async function sendMessage(
  deps: ConversationDeps,
  actor: Actor,
  input: SendInput,
  hooks: SendHooks = {},
): Promise<SendOutcome> {
  const started = performance.now();
  if (actor.kind === 'visitor') await deps.visitorLimits?.take(actor);
  // Only a visitor's messages are answered in a widget conversation (members must claim it).
  const collectionId =
    actor.kind === 'visitor'
      ? ((await deps.widgets(actor.tenantId, actor.widgetId))?.collectionId ?? null)
      : null;
  let prepared: Promise<PreparedQuestion> | null = null;
  const stored = await inTenant(deps, actor, async (tx) => {
    let conversation = await loadConversation(tx, actor, input.conversationId, { lock: true });
    const author = authorship(actor, conversation);
    if (likelyAnswered(conversation, author)) {
      const personality = await personalityIfAny(tx, conversation);
      prepared = prepareEarly(deps, conversation, input, personality, collectionId);
    }
    const appended = await appendMessage(tx, conversation, {
      ...author,
      content: input.text,
      clientMessageId: input.clientMessageId ?? null,
    });
    if (appended.duplicate)
      return {
        row: conversation,
        message: appended.row,
        duplicate: true,
        plan: { kind: 'silent' } as Plan,
        note: null,
      };
    conversation = appended.conversation;
    let stateChanged = false;
    // A visitor writing into a resolved conversation reopens it.
    if (conversation.status === 'resolved' && author.authorType !== 'agent') {
      stateChanged = true;
      conversation = await updateConversation(tx, conversation.id, {
        status: 'open',
        resolvedAt: null,
      });
    }
    let plan: Plan = { kind: 'silent' };
    let note: MessageRow | null = null;
    const aiAnswers =
      author.authorType !== 'agent' &&
      conversation.handler === 'ai' &&
      conversation.status !== 'waiting';
    if (aiAnswers) {
      const rules = await readHandoffRules(tx, conversation.tenantId);
      const keyword = matchedKeyword(input.text, rules);
      const reason = asksForHuman(input.text)
        ? 'asked for a person'
        : keyword
          ? `matched the handoff rule "${keyword}"`
          : null;
      if (reason) {
        const moved = await moveToHuman(tx, conversation, reason);
        conversation = moved.conversation;
        note = moved.note;
        plan = { kind: 'handoff', reason };
        stateChanged = true;
      } else {
        await assertNoAnswerInFlight(deps, tx, conversation.id);
        const replyId = randomUUID();
        const guardJobId = await enqueueJob(tx, conversation.tenantId, {
          queue: REPLY_QUEUE,
          payload: { conversationId: conversation.id, messageId: appended.row.id, replyId },
          runAt: new Date(Date.now() + deps.replyGuardMs),
          maxAttempts: 3,
        });
        plan = {
          kind: 'answer',
          replyId,
          guardJobId,
          history: await recentTurns(tx, conversation.id, appended.row.id),
          rules,
        };
      }
    }
    return {
      row: conversation,
      view: await viewOf(tx, conversation),
      message: appended.row,
      duplicate: false,
      stateChanged,
      plan,
      note,
    };
  });

  const audience = actor.kind === 'visitor' ? 'visitor' : 'member';
  const message = messageFor(stored.message, audience);
  if (stored.duplicate) return { message, reply: null, handoff: null, duplicate: true };
  hooks.onAccepted?.(message);
  publishMessage(deps, actor.tenantId, messageView(stored.message));
  if (stored.note) publishMessage(deps, actor.tenantId, messageView(stored.note));
  if (stored.view)
    publishConversation(
      deps,
      actor.tenantId,
      stored.view,
      stored.stateChanged ? 'state' : 'activity',
    );

  const plan = stored.plan;
  if (plan.kind === 'silent') return { message, reply: null, handoff: null, duplicate: false };
  if (plan.kind === 'handoff')
    return { message, reply: null, handoff: plan.reason, duplicate: false };
  const answered = await writeAnswer(deps, {
    conversation: stored.row,
    question: stored.message,
    replyId: plan.replyId,
    guardJobId: plan.guardJobId,
    history: plan.history,
    rules: plan.rules,
    started,
    hooks,
    collectionId,
    ...(prepared ? { prepared } : {}),
  });
  return {
    message,
    reply: answered.reply ? messageFor(answered.reply, audience) : null,
    handoff: answered.handoff,
    duplicate: false,
  };
}

/** Whether the AI will probably answer this message (the transaction decides for sure). */
const likelyAnswered = (conversation: ConversationRow, author: { authorType: string }) =>
  author.authorType !== 'agent' &&
  conversation.handler === 'ai' &&
  conversation.status !== 'waiting';

/**
 * Starts the answer's reads (retrieval, budget, keys) on other connections while the question
 * is being stored: they change nothing, so when the question turns out not to be answered
 * (a duplicate, a handoff) the result is just dropped.
 */
function prepareEarly(
  deps: ConversationDeps,
  conversation: ConversationRow,
  input: SendInput,
  personality: Personality | null,
  collectionId: string | null,
): Promise<PreparedQuestion> {
  const prepared = deps.ai.prepare({
    tenantId: conversation.tenantId,
    question: input.text,
    personalityId: conversation.personalityId ?? undefined,
    collectionId,
    ...(personality ? { personality } : {}),
  });
  prepared.catch(() => undefined); // a dropped one must not surface as an unhandled rejection
  return prepared;
}

/**
 * The conversation's personality, read in the transaction that is open anyway so retrieval
 * (which needs its knowledge scope) can start at once; null if it is gone (the answer then
 * reports that as it always has).
 */
async function personalityIfAny(tx: Tx, conversation: ConversationRow) {
  const id = conversation.personalityId ?? undefined;
  return personalityOrDefault(tx, conversation.tenantId, id).catch(() => null);
}

/**
 * The knowledge collection a widget conversation's answers search, when its widget names one
 * (searched instead of the personality's scope, for that website); null otherwise.
 */
export async function widgetCollection(deps: ConversationDeps, conversation: ConversationRow) {
  if (!conversation.widgetId) return null;
  return (await deps.widgets(conversation.tenantId, conversation.widgetId))?.collectionId ?? null;
}

/** One answer at a time per conversation, across instances: a pending guard job means one is being written. */
async function assertNoAnswerInFlight(deps: ConversationDeps, tx: Tx, conversationId: string) {
  const j = schema.jobs;
  const pending = deps.generations.running(conversationId)
    ? [true]
    : await tx
        .select({ id: j.id })
        .from(j)
        .where(
          and(
            eq(j.queue, REPLY_QUEUE),
            eq(j.status, 'queued'),
            gt(j.runAt, new Date()),
            sql`${j.payload}->>'conversationId' = ${conversationId}`,
          ),
        )
        .limit(1);
  if (pending.length)
    throw new DomainError(
      'CONFLICT',
      'The assistant is still answering; stop it or wait for the answer',
    );
}

export interface AnswerJob {
  conversation: ConversationRow;
  question: MessageRow;
  replyId: string;
  guardJobId: string | null;
  history: Awaited<ReturnType<typeof recentTurns>>;
  rules: HandoffRules;
  started: number;
  hooks: SendHooks;
  /** The answer's reads, if sendMessage started them early. */
  prepared?: Promise<PreparedQuestion>;
  /** The widget's collection, searched instead of the personality's scope. */
  collectionId: string | null;
}

const sumTokens = (result: AnswerResult, key: 'inputTokens' | 'outputTokens') =>
  result.attempts.reduce((n, a) => n + (a.usage?.[key] ?? 0), 0);

/**
 * Streams and stores the assistant's answer to `question`. Deltas go to the bus (for every
 * watcher, on every instance) and to the caller's hook. A stop request, from any instance,
 * ends it as `stopped` with the text so far.
 */
export async function writeAnswer(
  deps: ConversationDeps,
  job: AnswerJob,
): Promise<{ reply: MessageRow | null; handoff: string | null }> {
  const { conversation, question, replyId } = job;
  const tenantId = conversation.tenantId;
  const topic = conversationTopic(conversation.id);
  const controller = deps.generations.start(conversation.id);
  const onCallerAbort = () => controller.abort(job.hooks.signal?.reason);
  job.hooks.signal?.addEventListener('abort', onCallerAbort, { once: true });
  // Stop requests arrive as bus events; watching the tenant makes sure they reach this process.
  await deps.bus.watch(tenantId).catch(() => undefined);
  let firstTokenMs: number | null = null;
  let result: AnswerResult | null = null;
  let failure: unknown = null;
  try {
    const generation = deps.ai.answer({
      tenantId,
      question: question.content,
      history: job.history,
      summary: conversation.summary,
      sessionId: conversation.id,
      signal: controller.signal,
      ...(conversation.personalityId ? { personalityId: conversation.personalityId } : {}),
      ...(job.prepared ? { prepared: job.prepared } : {}),
      collectionId: job.collectionId,
      gate: ({ retrievalConfidence }) =>
        lowConfidenceReason(job.rules, conversation.channel, retrievalConfidence),
    });
    let index = 0;
    let step = await generation.next();
    while (!step.done) {
      firstTokenMs ??= Math.round(performance.now() - job.started);
      job.hooks.onDelta?.(step.value);
      publish(deps, tenantId, topic, 'message.delta', {
        conversationId: conversation.id,
        messageId: replyId,
        index: index++,
        delta: step.value,
      });
      step = await generation.next();
    }
    result = step.value;
  } catch (error) {
    failure = error;
  } finally {
    deps.generations.finish(conversation.id, controller);
    job.hooks.signal?.removeEventListener('abort', onCallerAbort);
    deps.bus.unwatch(tenantId);
  }
  const totalMs = Math.round(performance.now() - job.started);
  const stopped = controller.signal.aborted;

  const saveAnswer = async (tx: Tx) => {
    // Another instance may have answered already (this one was presumed dead): keep theirs.
    const [existing] = await tx
      .select()
      .from(schema.messages)
      .where(eq(schema.messages.id, replyId));
    if (existing) return { reply: existing, handoff: null, note: null, conversation: null };
    const current = await loadConversation(
      tx,
      { kind: 'operator', tenantId, name: 'system' },
      conversation.id,
      { lock: true },
    );
    if (job.guardJobId)
      await tx
        .update(schema.jobs)
        .set({ status: 'succeeded', lockedUntil: null })
        .where(eq(schema.jobs.id, job.guardJobId));
    if (result?.handoff) {
      const moved = await moveToHuman(tx, current, result.handoff);
      return {
        reply: null,
        handoff: result.handoff,
        note: moved.note,
        conversation: moved.conversation,
      };
    }
    if (!result) {
      const budget = failure instanceof BudgetExhaustedError;
      const content = budget
        ? 'The assistant is unavailable right now.'
        : 'The assistant could not answer just now. Please try again.';
      const { row: note } = await appendMessage(tx, current, {
        role: 'system',
        authorType: 'system',
        content,
        status: 'failed',
        replyTo: question.id,
      });
      // When the assistant cannot answer a website visitor, a person can.
      if (budget && current.channel === 'widget') {
        const moved = await moveToHuman(tx, current, 'the assistant budget is spent');
        return {
          reply: null,
          handoff: moved.conversation.handoffReason,
          note,
          conversation: moved.conversation,
          extraNote: moved.note,
        };
      }
      return { reply: null, handoff: null, note, conversation: current };
    }
    const name = await assistantName(tx, current);
    const { row: reply, conversation: answered } = await appendMessage(tx, current, {
      id: replyId,
      role: 'assistant',
      authorType: 'ai',
      authorName: name,
      content: result.text,
      citations: result.citations,
      status: stopped ? 'stopped' : result.truncated ? 'truncated' : 'complete',
      replyTo: question.id,
      provider: result.provider,
      model: result.model,
      tier: result.tier,
      cacheHit: result.cacheHit,
      routingDecisionId: result.routingDecisionId,
      personalityId: result.personality.id,
      personalityVersion: result.personality.version,
      inputTokens: sumTokens(result, 'inputTokens'),
      outputTokens: sumTokens(result, 'outputTokens'),
      costMicros: result.costMicros,
      retrievalMs: result.retrievalMs,
      firstTokenMs,
      totalMs,
    });
    const updated = await updateConversation(tx, current.id, {
      personalityId: current.personalityId ?? result.personality.id,
      personalityVersion: result.personality.version,
      ...(await summaryPatch(tx, answered)),
    });
    return { reply, handoff: null, note: null, conversation: updated };
  };
  const saved = await deps.db.withTenant(tenantId, async (tx) => {
    const out = await saveAnswer(tx);
    // A handoff or a failure changes the conversation's state; an answer is activity.
    const change: 'state' | 'activity' = out.reply ? 'activity' : 'state';
    return { ...out, change, view: out.conversation ? await viewOf(tx, out.conversation) : null };
  });

  if (failure && !(failure instanceof BudgetExhaustedError))
    deps.log.error({ err: failure, conversationId: conversation.id }, 'answer failed');
  if (saved.reply && saved.view) publishMessage(deps, tenantId, messageView(saved.reply));
  if (saved.note) publishMessage(deps, tenantId, messageView(saved.note));
  if ('extraNote' in saved && saved.extraNote)
    publishMessage(deps, tenantId, messageView(saved.extraNote));
  if (saved.view) publishConversation(deps, tenantId, saved.view, saved.change);
  if (failure instanceof BudgetExhaustedError && conversation.channel !== 'widget') throw failure;
  return { reply: saved.reply, handoff: saved.handoff };
}

/** Folds messages that left the recent window into the conversation's summary. */
async function summaryPatch(tx: Tx, conversation: ConversationRow) {
  const count = conversation.messageCount;
  const upTo = count - RECENT_TURNS;
  if (count <= SUMMARISE_AFTER || upTo - conversation.summaryMessages < 8) return {};
  const m = schema.messages;
  const older = await tx
    .select()
    .from(m)
    .where(eq(m.sessionId, conversation.id))
    .orderBy(m.createdAt, m.id)
    .offset(conversation.summaryMessages)
    .limit(upTo - conversation.summaryMessages);
  return { summary: extendSummary(conversation.summary, older), summaryMessages: upTo };
}
