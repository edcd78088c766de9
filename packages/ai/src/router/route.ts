import { type Classification, type ClassifyInput, classify, type Tier } from './classify.ts';

/** Where the tenant stands against its monthly budget. */
export type BudgetState = 'unlimited' | 'ok' | 'nearly_exhausted' | 'exhausted';
export type ExhaustedPolicy = 'block' | 'tier1' | 'offline';

export interface TierLimits {
  minTier: number;
  maxTier: number;
}

export interface RouteInput extends ClassifyInput {
  limits?: TierLimits;
  budget?: { state: BudgetState; policy: ExhaustedPolicy };
}

export interface RouteDecision {
  classification: Classification;
  /** The tier actually used, after personality and budget limits. */
  tier: Tier;
  /** Answer with the offline provider only (budget exhausted, policy offline). */
  offlineOnly: boolean;
  /** Do not answer at all (budget exhausted, policy block). */
  blocked: boolean;
  budgetState: BudgetState;
  reason: string;
}

const asTier = (n: number): Tier => (n <= 1 ? 1 : n >= 3 ? 3 : 2);

/**
 * Picks the tier: the classifier's choice, kept within the personality's limits, then capped by
 * the budget. A nearly exhausted budget drops to tier 1 even below a personality's minimum,
 * because the tenant's spending limit outranks a preference; at 100% the tenant's policy applies.
 */
export function route(input: RouteInput): RouteDecision {
  const classification = classify(input);
  const notes: string[] = [];
  let tier = classification.tier;
  const limits = input.limits;
  if (limits && tier < limits.minTier) {
    tier = asTier(limits.minTier);
    notes.push(`raised to the personality's minimum tier ${tier}`);
  }
  if (limits && tier > limits.maxTier) {
    tier = asTier(limits.maxTier);
    notes.push(`capped at the personality's maximum tier ${tier}`);
  }
  const budgetState = input.budget?.state ?? 'unlimited';
  const policy = input.budget?.policy ?? 'tier1';
  let offlineOnly = false;
  let blocked = false;
  if (budgetState === 'nearly_exhausted' && tier > 1) {
    tier = 1;
    notes.push('budget nearly exhausted: downgraded to tier 1');
  }
  if (budgetState === 'exhausted') {
    if (policy === 'block') {
      blocked = true;
      notes.push('budget exhausted: blocked by policy');
    } else if (policy === 'offline') {
      offlineOnly = true;
      notes.push('budget exhausted: offline answers only');
    } else if (tier > 1) {
      tier = 1;
      notes.push('budget exhausted: tier 1 only');
    }
  }
  const reason = notes.length
    ? `${classification.reason}; ${notes.join('; ')}`
    : classification.reason;
  return { classification, tier, offlineOnly, blocked, budgetState, reason };
}
