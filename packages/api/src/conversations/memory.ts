import type { Turn } from '@platform/ai';
import { schema, type Tx } from '@platform/db';
import { and, desc, eq, ne } from 'drizzle-orm';
import type { MessageRow } from './store.ts';

/** Turns sent to the model verbatim. */
export const RECENT_TURNS = 12;
/** Past this many messages, what lies before the recent turns is kept as a summary. */
export const SUMMARISE_AFTER = 24;
const SUMMARY_MAX_CHARS = 2000;

const m = schema.messages;

/** The conversation's recent turns before `beforeId`, oldest first, as the model sees them. */
export async function recentTurns(
  tx: Tx,
  conversationId: string,
  beforeId: string,
): Promise<Turn[]> {
  const rows = await tx
    .select({ id: m.id, role: m.role, content: m.content, status: m.status })
    .from(m)
    .where(and(eq(m.sessionId, conversationId), ne(m.role, 'system'), ne(m.id, beforeId)))
    .orderBy(desc(m.createdAt), desc(m.id))
    .limit(RECENT_TURNS);
  return rows
    .reverse()
    .filter((r) => r.content.trim() && r.status !== 'failed')
    .map((r) => ({ role: r.role as 'user' | 'assistant', content: r.content }));
}

const firstSentence = (text: string, max: number) => {
  const flat = text
    .replace(/\s*\[\d+\]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  const end = flat.search(/[.!?](\s|$)/);
  const sentence = end > 0 ? flat.slice(0, end + 1) : flat;
  return sentence.length > max ? `${sentence.slice(0, max - 1)}…` : sentence;
};

/**
 * A rolling extractive summary of messages that have left the recent window: each question as
 * asked and the first sentence of each reply, oldest lines dropped past the size limit. It is
 * deterministic and free, so it works with the offline provider.
 */
export function extendSummary(previous: string | null, older: MessageRow[]): string {
  const lines = previous ? previous.split('\n') : [];
  for (const row of older) {
    if (!row.content.trim() || row.status === 'failed') continue;
    const who =
      row.authorType === 'ai'
        ? 'Assistant'
        : row.authorType === 'agent'
          ? `Agent${row.authorName ? ` ${row.authorName}` : ''}`
          : row.role === 'system'
            ? 'Note'
            : 'User';
    lines.push(`${who}: ${firstSentence(row.content, who === 'User' ? 240 : 200)}`);
  }
  while (lines.join('\n').length > SUMMARY_MAX_CHARS && lines.length > 1) lines.shift();
  return lines.join('\n');
}
