import { readFileSync } from 'node:fs';
import type { Tier, Turn } from '../../packages/ai/src/index.ts';

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
