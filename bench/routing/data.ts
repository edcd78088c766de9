import { readFileSync } from 'node:fs';
import { costMicros, priceOf, type Tier, type Turn } from '../../packages/ai/src/index.ts';

export type Label = 'simple' | 'complex' | 'critical';
/** dev and extra: the cue lists were tuned on them; heldout: never looked at while tuning. */
export type Set = 'dev' | 'extra' | 'heldout';
const FILES: Record<Set, string> = {
  dev: 'queries.json',
  extra: 'extra.json',
  heldout: 'heldout.json',
};

export interface LabelledQuery {
  set: Set;
  intent: string;
  domain: string;
  label: Label;
  near?: string;
  source: { title: string; text: string };
  query: string;
  history?: Turn[];
}

interface File {
  intents: Array<{
    id: string;
    domain: string;
    label: Label;
    near?: string;
    source: { title: string; text: string };
    queries: Array<{ query: string; history?: Turn[] }>;
  }>;
}

/** The tier a label should get: what an oracle router would choose. */
export const ORACLE_TIER: Record<Label, Tier> = { simple: 1, complex: 2, critical: 3 };

export function loadQueries(set: Set): LabelledQuery[] {
  const name = FILES[set];
  const file = JSON.parse(readFileSync(new URL(name, import.meta.url), 'utf8')) as File;
  return file.intents.flatMap((intent) =>
    intent.queries.map((q) => ({
      set,
      intent: intent.id,
      domain: intent.domain,
      label: intent.label,
      ...(intent.near ? { near: intent.near } : {}),
      source: intent.source,
      query: q.query,
      ...(q.history ? { history: q.history } : {}),
    })),
  );
}

/** The seed's tier models, prices and token assumption (500 in, 500 out a query). */
const TIER_MODEL = {
  1: { provider: 'openai', model: 'gpt-4o-mini' },
  2: { provider: 'openai', model: 'gpt-4o' },
  3: { provider: 'anthropic', model: 'claude-sonnet-4-5' },
} as const;
const USAGE = { inputTokens: 500, outputTokens: 500, cachedInputTokens: 0 };

/** What one query costs on a tier, in micro-dollars, by the seed's arithmetic. */
export const perQuery = (tier: Tier) => costMicros(priceOf(TIER_MODEL[tier]).price, USAGE);
