import { contentStems } from '../text/terms.ts';
import type { Turn } from './classify.ts';
import model from './critical-weights.json' with { type: 'json' };

/**
 * Stems and stem bigrams of the user's side of the conversation: what the learned critical
 * detector reads. Assistant turns are left out; the rules handle their warnings.
 */
export function criticalFeatures(query: string, history: readonly Turn[]): string[] {
  const text = [...history.filter((t) => t.role === 'user').map((t) => t.content), query].join(' ');
  const stems = contentStems(text);
  const features = new Set(stems);
  for (let i = 0; i + 1 < stems.length; i++) features.add(`${stems[i]}_${stems[i + 1]}`);
  return [...features];
}

const weights = new Map(Object.entries(model.weights as Record<string, number>));

/**
 * Probability that a message is a critical request, from a logistic regression over the labelled
 * tuning sets (bench/routing/train-critical.ts). It backs up the cue lists on phrasings they do
 * not know; it only ever raises a tier.
 */
export function criticalProbability(query: string, history: readonly Turn[]): number {
  const z = criticalFeatures(query, history).reduce(
    (s, f) => s + (weights.get(f) ?? 0),
    model.bias,
  );
  return 1 / (1 + Math.exp(-z));
}

/** Chosen by cross-validation on the tuning sets (see train-critical.ts); critical requests are rare. */
export const CRITICAL_PROBABILITY: number = model.threshold;
