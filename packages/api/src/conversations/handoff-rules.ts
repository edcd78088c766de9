import { schema, type Tx } from '@platform/db';
import type { ConversationChannel } from '@platform/db/schema';
import { eq } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';

/**
 * When the assistant hands a conversation to a human, per tenant (tenants.settings.handoff):
 * below this retrieval confidence on these channels, or when a message matches a keyword.
 * By default only website visitors are handed over when the knowledge base has nothing on
 * their question; members testing in the dashboard and API clients get the assistant's answer.
 */
export const handoffRulesInput = z.strictObject({
  lowConfidence: z
    .strictObject({
      threshold: z.number().min(0).max(1),
      channels: z.array(z.enum(['widget', 'dashboard', 'meeting', 'api'])).max(4),
    })
    .nullable(),
  keywords: z.array(z.string().trim().min(2).max(80)).max(50),
});
export type HandoffRules = z.infer<typeof handoffRulesInput>;

export const DEFAULT_HANDOFF_RULES: HandoffRules = {
  lowConfidence: { threshold: 0.2, channels: ['widget'] },
  keywords: [],
};

/** Rules per tenant, briefly: read on every message; a change shows within seconds everywhere. */
const cache = new LRUCache<string, HandoffRules>({ max: 10_000, ttl: 10_000 });

export function forgetHandoffRules(tenantId: string) {
  cache.delete(tenantId);
}

export async function readHandoffRules(tx: Tx, tenantId: string): Promise<HandoffRules> {
  const cached = cache.get(tenantId);
  if (cached) return cached;
  const [row] = await tx
    .select({ settings: schema.tenants.settings })
    .from(schema.tenants)
    .where(eq(schema.tenants.id, tenantId));
  const parsed = handoffRulesInput.safeParse(row?.settings?.handoff);
  const rules = parsed.success ? parsed.data : DEFAULT_HANDOFF_RULES;
  cache.set(tenantId, rules);
  return rules;
}

/** "Can I talk to a human?" in a few languages; a question about people is not a request. */
const ASKS_FOR_HUMAN = [
  /\b(talk|speak|chat|connect|transfer)\b.{0,30}\b(human|person|agent|someone|somebody|representative|operator|staff|support team|real person)\b/i,
  /\b(human|live|real)\s+(agent|person|support|representative|help)\b/i,
  /^\s*(agent|human|operator|representative)\s*[.!?]*\s*$/i,
  /\b(mit einem menschen|mitarbeiter sprechen)\b/i,
  /\b(parler|discuter)\b.{0,20}\b(humain|conseiller|agent|personne)\b/i,
  /\b(hablar)\b.{0,20}\b(humano|persona|agente)\b/i,
];

export function asksForHuman(text: string): boolean {
  return ASKS_FOR_HUMAN.some((re) => re.test(text));
}

/** The keyword rule a message trips, if any (whole words, case-insensitive). */
export function matchedKeyword(text: string, rules: HandoffRules): string | null {
  const lower = text.toLowerCase();
  for (const keyword of rules.keywords) {
    const k = keyword.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (new RegExp(`(^|\\W)${k}($|\\W)`, 'u').test(lower)) return keyword;
  }
  return null;
}

export function lowConfidenceReason(
  rules: HandoffRules,
  channel: ConversationChannel,
  confidence: number,
): string | null {
  const rule = rules.lowConfidence;
  if (!rule?.channels.includes(channel) || confidence >= rule.threshold) return null;
  return `the knowledge base barely covers the question (confidence ${confidence.toFixed(2)})`;
}
