/**
 * Trains the router's learned critical-stakes detector: logistic regression over stems and stem
 * bigrams of the user's turns, on the tuning sets only (bench/routing/queries.json and
 * extra.json; never heldout.json). Deterministic: same data, same weights.
 *
 * The threshold is chosen by 5-fold cross-validation on the tuning sets, folds by intent so
 * paraphrases never straddle training and testing: each fold's detector is trained on the other
 * four, combined with the cue lists, and the threshold with the best recall of complex+critical
 * plus critical-at-tier-3 whose routed cost stays within 1.08x the oracle's wins; among equals,
 * the lowest (safety first: a missed critical request costs more than an unneeded tier 3, which
 * at the seed's prices is cheaper than tier 2). The cue lists were written on these same sets, so
 * the folds mostly tie and the tie-break decides.
 * Writes packages/ai/src/router/critical-weights.json.
 *
 *   node --import tsx bench/routing/train-critical.ts
 */
import { writeFileSync } from 'node:fs';
import { classify, type Tier } from '../../packages/ai/src/index.ts';
import { criticalFeatures } from '../../packages/ai/src/router/learned.ts';
import { type LabelledQuery, loadQueries, ORACLE_TIER, perQuery } from './data.ts';

const EPOCHS = 40;
const RATE = 0.3;
const DECAY = 0.001;
/** Weights smaller than this are dropped: they move no decision and only grow the file. */
const KEEP = 0.02;
const FOLDS = 5;
const MAX_COST_RATIO = 1.08;
const THRESHOLDS = [0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7];

const examples = [...loadQueries('dev'), ...loadQueries('extra')].map((q) => ({
  q,
  features: criticalFeatures(q.query, q.history ?? []),
  y: q.label === 'critical' ? 1 : 0,
}));
type Example = (typeof examples)[number];

function train(data: Example[]) {
  const weights = new Map<string, number>();
  let bias = 0;
  for (let epoch = 0; epoch < EPOCHS; epoch++)
    for (const { features, y } of data) {
      const z = bias + features.reduce((s, f) => s + (weights.get(f) ?? 0), 0);
      const gradient = 1 / (1 + Math.exp(-z)) - y;
      bias -= RATE * gradient;
      for (const f of features)
        weights.set(f, (weights.get(f) ?? 0) * (1 - DECAY) - RATE * gradient);
    }
  const p = (e: Example) =>
    1 / (1 + Math.exp(-e.features.reduce((s, f) => s + (weights.get(f) ?? 0), bias)));
  return { weights, bias, p };
}

// Out-of-fold probabilities.
const intents = [...new Set(examples.map((e) => `${e.q.set}/${e.q.intent}`))];
const foldOf = new Map(intents.map((id, i) => [id, (i * 7919) % FOLDS]));
const outOfFold = new Map<Example, number>();
for (let k = 0; k < FOLDS; k++) {
  const inFold = (e: Example) => foldOf.get(`${e.q.set}/${e.q.intent}`) === k;
  const { p } = train(examples.filter((e) => !inFold(e)));
  for (const e of examples.filter(inFold)) outOfFold.set(e, p(e));
}
const rulesTier = new Map<Example, Tier>(
  examples.map((e) => [
    e,
    classify({ query: e.q.query, history: e.q.history ?? [] }, { learned: false }).tier,
  ]),
);
function score(threshold: number) {
  let cost = 0;
  let oracle = 0;
  let hard = 0;
  let hardUp = 0;
  let critical = 0;
  let criticalTop = 0;
  for (const e of examples) {
    const tier: Tier = (outOfFold.get(e) ?? 0) > threshold ? 3 : (rulesTier.get(e) ?? 1);
    cost += perQuery(tier);
    oracle += perQuery(ORACLE_TIER[e.q.label as LabelledQuery['label']]);
    if (e.q.label !== 'simple') {
      hard++;
      if (tier >= 2) hardUp++;
    }
    if (e.q.label === 'critical') {
      critical++;
      if (tier === 3) criticalTop++;
    }
  }
  return {
    threshold,
    costRatio: cost / oracle,
    recall: hardUp / hard,
    criticalAtTier3: criticalTop / critical,
  };
}
const table = THRESHOLDS.map(score);
console.table(table);
const best = table
  .filter((r) => r.costRatio <= MAX_COST_RATIO)
  .sort(
    (a, b) =>
      b.recall + b.criticalAtTier3 - (a.recall + a.criticalAtTier3) || a.threshold - b.threshold,
  )[0];
if (!best) throw new Error('no threshold keeps the cost within bounds');

const { weights, bias } = train(examples);
const kept = Object.fromEntries(
  [...weights]
    .filter(([, w]) => Math.abs(w) >= KEEP)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([f, w]) => [f, Math.round(w * 1e4) / 1e4]),
);
const out = {
  trainedOn: ['bench/routing/queries.json', 'bench/routing/extra.json'],
  examples: examples.length,
  threshold: best.threshold,
  crossValidation: table.map((r) => ({
    ...r,
    costRatio: Math.round(r.costRatio * 1000) / 1000,
    recall: Math.round(r.recall * 1000) / 1000,
    criticalAtTier3: Math.round(r.criticalAtTier3 * 1000) / 1000,
  })),
  bias: Math.round(bias * 1e4) / 1e4,
  weights: kept,
};
writeFileSync(
  new URL('../../packages/ai/src/router/critical-weights.json', import.meta.url),
  `${JSON.stringify(out)}\n`,
);
console.log(
  `threshold ${best.threshold}; ${Object.keys(kept).length} weights kept of ${weights.size}`,
);
