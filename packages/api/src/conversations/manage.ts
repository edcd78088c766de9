import { personalityOrDefault } from '@platform/ai';
import { schema, type Tx } from '@platform/db';
import type { ConversationChannel } from '@platform/db/schema';
import { DomainError } from '../errors.ts';
import { type Actor, assertMember } from './actor.ts';
import { type ConversationDeps, inTenant, publishConversation, publishMessage } from './deps.ts';
import { moveToHuman } from './send.ts';
import { appendMessage, loadConversation, updateConversation, viewOf } from './store.ts';
import { type ConversationView, messageView } from './views.ts';

type ConversationRow = typeof schema.chatSessions.$inferSelect;

export interface CreateInput {
  channel?: ConversationChannel;
  title?: string;
  personalityId?: string;
  visitorName?: string;
  visitorEmail?: string;
}

/**
 * Starts a conversation. The channel follows from who asks: a visitor's is its widget's, a
 * member's is the dashboard or the API, the operator's the API.
 */
export async function createConversation(
  deps: ConversationDeps,
  actor: Actor,
  input: CreateInput,
): Promise<ConversationView> {
  const view = await inTenant(deps, actor, async (tx) => {
    const channel: ConversationChannel =
      actor.kind === 'visitor'
        ? 'widget'
        : input.channel === 'api' || actor.kind === 'operator'
          ? 'api'
          : 'dashboard';
    if (
      input.channel &&
      input.channel !== channel &&
      !(actor.kind === 'member' && input.channel === 'dashboard')
    )
      throw new DomainError(
        'BAD_REQUEST',
        `This caller cannot open a ${input.channel} conversation`,
        'channel',
      );
    const personalityId =
      actor.kind === 'visitor' ? (actor.personalityId ?? undefined) : input.personalityId;
    // Checks the personality belongs to the tenant (NOT_FOUND otherwise).
    const personality = await personalityOrDefault(tx, actor.tenantId, personalityId);
    const [row] = await tx
      .insert(schema.chatSessions)
      .values({
        tenantId: actor.tenantId,
        channel,
        title: input.title ?? null,
        personalityId: personalityId ? personality.id : null,
        personalityVersion: personality.version,
        ...(actor.kind === 'visitor'
          ? {
              widgetId: actor.widgetId,
              visitorId: actor.visitorId,
              visitorName: input.visitorName ?? actor.name,
              visitorEmail: input.visitorEmail ?? null,
            }
          : actor.kind === 'member'
            ? { userId: actor.userId }
            : {}),
      })
      .returning();
    if (!row) throw new Error('createConversation: no row');
    return viewOf(tx, row);
  });
  publishConversation(deps, actor.tenantId, view);
  return view;
}

export async function getConversation(
  deps: ConversationDeps,
  actor: Actor,
  id: string,
): Promise<ConversationView> {
  return inTenant(
    deps,
    actor,
    async (tx) => viewOf(tx, await loadConversation(tx, actor, id)),
    'read',
  );
}

/**
 * A change of state with a note everyone in the conversation sees; publishes the note and the
 * updated conversation after commit.
 */
async function transition(
  deps: ConversationDeps,
  actor: Actor,
  id: string,
  change: (tx: Tx, row: ConversationRow) => Promise<{ row: ConversationRow; note?: string }>,
): Promise<ConversationView> {
  const out = await inTenant(deps, actor, async (tx) => {
    const current = await loadConversation(tx, actor, id, { lock: true });
    const { row, note } = await change(tx, current);
    const appended = note
      ? await appendMessage(tx, row, { role: 'system', authorType: 'system', content: note })
      : null;
    return {
      view: await viewOf(tx, appended?.conversation ?? row),
      note: appended?.row ?? null,
    };
  });
  if (out.note) publishMessage(deps, actor.tenantId, messageView(out.note));
  publishConversation(deps, actor.tenantId, out.view);
  return out.view;
}

/**
 * The visitor says who they are (the widget's identify()): name and email, as given, for the
 * members answering them. Only the visitor of the conversation may; an absent field is kept.
 */
export async function identifyVisitor(
  deps: ConversationDeps,
  actor: Actor,
  id: string,
  visitor: { name?: string; email?: string },
): Promise<ConversationView> {
  if (actor.kind !== 'visitor')
    throw new DomainError('FORBIDDEN', 'Only the visitor can say who they are');
  const view = await inTenant(deps, actor, async (tx) => {
    const row = await loadConversation(tx, actor, id, { lock: true });
    if (visitor.name === undefined && visitor.email === undefined) return viewOf(tx, row);
    const changed = await updateConversation(tx, row.id, {
      ...(visitor.name !== undefined ? { visitorName: visitor.name } : {}),
      ...(visitor.email !== undefined ? { visitorEmail: visitor.email } : {}),
    });
    return viewOf(tx, changed);
  });
  publishConversation(deps, actor.tenantId, view);
  return view;
}

/** The visitor (or a member on their behalf) asks for a person. */
export function requestHuman(deps: ConversationDeps, actor: Actor, id: string, reason?: string) {
  return inTenant(deps, actor, async (tx) => {
    const current = await loadConversation(tx, actor, id, { lock: true });
    if (current.handler === 'human' || current.status === 'waiting')
      return { view: await viewOf(tx, current), note: null };
    const moved = await moveToHuman(tx, current, reason ?? 'asked for a person');
    return { view: await viewOf(tx, moved.conversation), note: moved.note };
  }).then(({ view, note }) => {
    if (note) {
      publishMessage(deps, actor.tenantId, messageView(note));
      publishConversation(deps, actor.tenantId, view);
    }
    return view;
  });
}

/** A member takes the conversation: the assistant falls silent and the visitor sees their name. */
export function claimConversation(deps: ConversationDeps, actor: Actor, id: string) {
  assertMember(actor, 'claim conversations');
  return transition(deps, actor, id, async (tx, row) => {
    if (row.handler === 'human' && row.assignedUserId === actor.userId) return { row };
    if (row.handler === 'human')
      throw new DomainError(
        'CONFLICT',
        `${row.assignedName ?? 'Another member'} already holds this conversation`,
      );
    const claimed = await updateConversation(tx, row.id, {
      handler: 'human',
      status: 'open',
      assignedUserId: actor.userId,
      assignedName: actor.name,
      resolvedAt: null,
    });
    // An answer still streaming is cut off: the human speaks now.
    deps.generations.stop(row.id);
    return { row: claimed, note: `${actor.name} joined the conversation.` };
  });
}

/** The human hands the conversation back to the assistant. */
export function releaseConversation(deps: ConversationDeps, actor: Actor, id: string) {
  assertMember(actor, 'hand conversations back');
  return transition(deps, actor, id, async (tx, row) => {
    if (row.handler !== 'human' && row.status !== 'waiting') return { row };
    const released = await updateConversation(tx, row.id, {
      handler: 'ai',
      status: 'open',
      assignedUserId: null,
      assignedName: null,
      handoffReason: null,
    });
    return { row: released, note: 'The assistant is answering again.' };
  });
}

export function resolveConversation(deps: ConversationDeps, actor: Actor, id: string) {
  return transition(deps, actor, id, async (tx, row) => {
    if (row.status === 'resolved') return { row };
    const resolved = await updateConversation(tx, row.id, {
      status: 'resolved',
      resolvedAt: new Date(),
      handler: 'ai',
      assignedUserId: null,
      assignedName: null,
    });
    return { row: resolved, note: 'This conversation was marked as resolved.' };
  });
}

export function reopenConversation(deps: ConversationDeps, actor: Actor, id: string) {
  return transition(deps, actor, id, async (tx, row) => {
    if (row.status !== 'resolved') return { row };
    return { row: await updateConversation(tx, row.id, { status: 'open', resolvedAt: null }) };
  });
}

export interface RatingInput {
  scale: 'thumbs' | 'csat';
  value: number;
  comment?: string;
}

export function rateConversation(
  deps: ConversationDeps,
  actor: Actor,
  id: string,
  rating: RatingInput,
) {
  if (
    rating.scale === 'thumbs'
      ? ![-1, 1].includes(rating.value)
      : rating.value < 1 || rating.value > 5
  )
    throw new DomainError(
      'BAD_REQUEST',
      rating.scale === 'thumbs' ? 'A thumbs rating is -1 or 1' : 'A CSAT rating is 1 to 5',
      'value',
    );
  return transition(deps, actor, id, async (tx, row) => ({
    row: await updateConversation(tx, row.id, {
      rating: rating.value,
      ratingScale: rating.scale,
      ratingComment: rating.comment ?? null,
      ratedAt: new Date(),
    }),
  }));
}

export function tagConversation(
  deps: ConversationDeps,
  actor: Actor,
  id: string,
  change: { add?: string[]; remove?: string[] },
) {
  assertMember(actor, 'tag conversations');
  return transition(deps, actor, id, async (tx, row) => {
    const remove = new Set((change.remove ?? []).map((t) => t.toLowerCase()));
    const tags = [
      ...new Set([...row.tags, ...(change.add ?? []).map((t) => t.toLowerCase())]),
    ].filter((t) => !remove.has(t));
    if (tags.length > 30)
      throw new DomainError('BAD_REQUEST', 'A conversation has at most 30 tags', 'add');
    return { row: await updateConversation(tx, row.id, { tags }) };
  });
}
