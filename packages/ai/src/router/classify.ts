import {
  ADVICE,
  CODE,
  CODE_SYNTAX,
  EMERGENCY,
  FOLLOW_UP,
  HIGH_STAKES,
  MULTI_STEP,
  PERSONAL_STAKES,
  REASONING,
  SMALL_TALK,
} from './lexicon.ts';

export type Tier = 1 | 2 | 3;

export interface Turn {
  role: 'user' | 'assistant';
  content: string;
}

export interface ClassifyInput {
  query: string;
  /** Earlier turns, oldest first. */
  history?: Turn[];
  /**
   * How well the knowledge base covers the question, 0..1 (share of its terms found in the best
   * passage); unknown when retrieval has not run.
   */
  retrievalConfidence?: number;
}

export interface Signals {
  words: number;
  questions: number;
  emergency: boolean;
  highStakes: boolean;
  personal: boolean;
  advice: boolean;
  reasoning: number;
  multiStep: boolean;
  code: boolean;
  smallTalk: boolean;
  /** Prior user turns. */
  depth: number;
  /** The message leans on the conversation and inherits its stakes. */
  followUp: boolean;
  inheritedTier: Tier | 0;
  retrievalConfidence: number | 'unknown';
}

export interface Classification {
  tier: Tier;
  /** 0..1: below 0.3 is tier 1, from 0.65 tier 3. */
  score: number;
  reason: string;
  signals: Signals;
}

export const TIER2_FROM = 0.3;
export const TIER3_FROM = 0.65;

const tierOf = (score: number): Tier => (score >= TIER3_FROM ? 3 : score >= TIER2_FROM ? 2 : 1);
const countMatches = (re: RegExp, text: string): number =>
  (text.match(new RegExp(re.source, `${re.flags}g`)) ?? []).length;

interface Scored {
  score: number;
  reasons: string[];
  signals: Omit<Signals, 'depth' | 'followUp' | 'inheritedTier' | 'retrievalConfidence'>;
}

/** One message on its own. */
function scoreMessage(text: string): Scored {
  const wordCount = text.split(/\s+/).filter(Boolean).length;
  const signals = {
    words: wordCount,
    questions: (text.match(/\?/g) ?? []).length,
    emergency: EMERGENCY.test(text),
    highStakes: HIGH_STAKES.test(text),
    personal: PERSONAL_STAKES.test(text),
    advice: ADVICE.test(text),
    reasoning: Math.min(countMatches(REASONING, text), 3),
    multiStep: MULTI_STEP.test(text),
    code: CODE_SYNTAX.test(text) || CODE.test(text),
    smallTalk: SMALL_TALK.test(text),
  };
  const reasons: string[] = [];
  let score = 0.05;
  if (signals.smallTalk) return { score: 0, reasons: ['small talk'], signals };

  if (signals.emergency) {
    score = 0.95;
    reasons.push('urgent risk to health, safety or security');
  } else if (signals.highStakes && (signals.personal || signals.advice)) {
    score = 0.7 + (signals.advice ? 0.1 : 0);
    reasons.push('high-stakes topic about the person’s own situation');
  } else if (signals.highStakes) {
    score += 0.3;
    reasons.push('high-stakes topic');
  }

  let complexity = 0;
  if (signals.reasoning) {
    complexity += 0.3 + 0.1 * (signals.reasoning - 1);
    reasons.push('asks for reasoning');
  }
  if (signals.multiStep) {
    complexity += 0.25;
    reasons.push('multi-step request');
  }
  if (signals.code) {
    complexity += 0.35;
    reasons.push('code or technical detail');
  }
  if (signals.questions >= 2) {
    complexity += 0.1 * Math.min(signals.questions - 1, 2);
    reasons.push('several questions');
  }
  if (wordCount > 45) {
    complexity += wordCount > 90 ? 0.15 : 0.08;
    reasons.push('long message');
  }
  score += complexity;
  // Complex technical work in a high-stakes setting (a production incident, say) is critical.
  if (signals.highStakes && complexity >= 0.3 && score < TIER3_FROM) score = Math.max(score, 0.6);
  return { score: Math.min(score, 1), reasons, signals };
}

/**
 * Scores how strong a model a message needs, from cheap textual signals (microseconds, no model
 * call): reasoning cues, multi-step requests, code, high-stakes topics about the person's own
 * situation, length, conversation depth and retrieval confidence. A short follow-up inherits the
 * stakes of the user turns before it; small talk never does.
 */
export function classify(input: ClassifyInput): Classification {
  const own = scoreMessage(input.query);
  const history = input.history ?? [];
  const userTurns = history.filter((t) => t.role === 'user');
  const depth = userTurns.length;
  const reasons = [...own.reasons];
  let score = own.score;

  const followUp =
    depth > 0 &&
    !own.signals.smallTalk &&
    (own.signals.words <= 14 || FOLLOW_UP.test(input.query.split(/[.?!]/)[0] ?? ''));
  let inheritedTier: Tier | 0 = 0;
  if (followUp) {
    // The last two user turns carry the conversation's stakes.
    const before = userTurns.slice(-2).map((t) => scoreMessage(t.content).score);
    const inherited = Math.max(0, ...before);
    if (inherited > score) {
      inheritedTier = tierOf(inherited);
      score = inherited * (inheritedTier === 3 ? 1 : 0.95);
      reasons.push(`follow-up in a tier ${inheritedTier} conversation`);
    }
  }
  if (depth >= 4 && !own.signals.smallTalk && score < TIER2_FROM) {
    score += 0.05;
    reasons.push('long conversation');
  }
  const confidence = input.retrievalConfidence;
  if (
    confidence !== undefined &&
    !own.signals.smallTalk &&
    score < TIER3_FROM &&
    confidence < 0.34
  ) {
    score += 0.12;
    reasons.push('knowledge base covers it poorly');
  }

  score = Math.round(Math.min(score, 1) * 1000) / 1000;
  const tier = tierOf(score);
  const reason = `tier ${tier}: ${reasons.length ? reasons.join(', ') : 'simple lookup'}`;
  return {
    tier,
    score,
    reason,
    signals: {
      ...own.signals,
      depth,
      followUp,
      inheritedTier,
      retrievalConfidence: confidence ?? 'unknown',
    },
  };
}
