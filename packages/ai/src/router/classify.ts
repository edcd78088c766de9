import { CRITICAL_PROBABILITY, criticalProbability } from './learned.ts';
import {
  ADVICE,
  ASSISTANT_WARNING,
  CALCULATION,
  CODE,
  CODE_SYNTAX,
  DECISION,
  EMERGENCY,
  FOLLOW_UP,
  HARM,
  MULTI_STEP,
  PERSONAL,
  REASONING,
  SMALL_TALK,
  TROUBLE,
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
  numbers: number;
  emergency: boolean;
  harm: boolean;
  decision: boolean;
  personal: boolean;
  advice: boolean;
  reasoning: number;
  calculation: boolean;
  trouble: boolean;
  multiStep: boolean;
  code: 'none' | 'vocabulary' | 'syntax';
  smallTalk: boolean;
  /** Prior user turns. */
  depth: number;
  /** The message leans on the conversation and inherits its stakes. */
  followUp: boolean;
  inheritedTier: Tier | 0;
  retrievalConfidence: number | 'unknown';
  /** The learned detector's probability that the request is critical. */
  criticalProbability: number;
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
  signals: Omit<
    Signals,
    'depth' | 'followUp' | 'inheritedTier' | 'retrievalConfidence' | 'criticalProbability'
  >;
}

/** One message on its own. */
function scoreMessage(text: string): Scored {
  const wordCount = text.split(/\s+/).filter(Boolean).length;
  const signals = {
    words: wordCount,
    questions: (text.match(/\?/g) ?? []).length,
    numbers: (text.match(/\d+(?:[.,]\d+)?/g) ?? []).length,
    emergency: EMERGENCY.test(text),
    harm: HARM.test(text),
    decision: DECISION.test(text),
    personal: PERSONAL.test(text),
    advice: ADVICE.test(text),
    reasoning: Math.min(countMatches(REASONING, text), 3),
    calculation: CALCULATION.test(text),
    trouble: TROUBLE.test(text),
    multiStep: MULTI_STEP.test(text),
    code: CODE_SYNTAX.test(text) ? 'syntax' : CODE.test(text) ? 'vocabulary' : 'none',
    smallTalk: SMALL_TALK.test(text),
  } as const;
  const reasons: string[] = [];
  if (signals.smallTalk) return { score: 0, reasons: ['small talk'], signals };

  let score = 0.05;
  if (signals.emergency) {
    score = 0.95;
    reasons.push('urgent risk to health, safety or security');
  } else if (signals.harm && (signals.personal || signals.advice)) {
    score = signals.advice ? 0.8 : 0.72;
    reasons.push('possible harm to the person (health, dispute, fraud)');
  } else if (signals.decision && signals.advice) {
    score = 0.75;
    reasons.push('asks for a consequential decision');
  } else if (signals.harm) {
    score += 0.3;
    reasons.push('high-stakes topic');
  }

  let complexity = 0;
  if (signals.reasoning) {
    complexity += 0.3 + 0.1 * (signals.reasoning - 1);
    reasons.push('asks for reasoning');
  }
  if (signals.calculation && signals.numbers > 0) {
    complexity += 0.3;
    reasons.push('calculation over the person’s figures');
  }
  if (signals.trouble) {
    complexity += 0.25;
    reasons.push('troubleshooting');
  }
  if (signals.multiStep) {
    complexity += 0.25;
    reasons.push('multi-step request');
  }
  if (signals.code !== 'none') {
    complexity += signals.code === 'syntax' ? 0.35 : 0.25;
    reasons.push(signals.code === 'syntax' ? 'code, formula or logs' : 'technical integration');
  }
  if (signals.decision && !signals.advice && signals.personal && signals.questions > 0) {
    complexity += 0.25;
    reasons.push('consequential topic about the person’s own situation');
  }
  if (signals.questions >= 2) {
    complexity += 0.1 * Math.min(signals.questions - 1, 2);
    reasons.push('several questions');
  }
  // A long message describes a situation; one that needs only a quoted fact is rarely that long.
  if (wordCount > 25) {
    complexity += wordCount > 60 ? 0.3 : 0.25;
    reasons.push('long message describing a situation');
  }
  // Complexity alone earns tier 2; tier 3 is for what is at stake, not for how long it takes.
  score =
    score >= TIER3_FROM ? score + complexity / 4 : Math.min(score + complexity, TIER3_FROM - 0.05);
  return { score: Math.min(score, 1), reasons, signals };
}

/**
 * Scores how strong a model a message needs, from cheap textual signals (microseconds, no model
 * call): reasoning cues, multi-step requests, code, high-stakes topics about the person's own
 * situation, length, conversation depth and retrieval confidence. A short follow-up inherits the
 * stakes of the user turns before it; small talk never does.
 */
export function classify(
  input: ClassifyInput,
  /** learned: false scores by the cue lists alone (to train and cross-validate the detector). */
  options: { learned?: boolean } = {},
): Classification {
  const own = scoreMessage(input.query);
  const history = input.history ?? [];
  const userTurns = history.filter((t) => t.role === 'user');
  const depth = userTurns.length;
  const reasons = [...own.reasons];
  let score = own.score;

  // A reply to the assistant's own question ("how much did he eat?" -> "half a bar") continues
  // the conversation whatever its words.
  const answersQuestion =
    history.at(-1)?.role === 'assistant' && history.at(-1)?.content.includes('?');
  const followUp =
    depth > 0 &&
    !own.signals.smallTalk &&
    (own.signals.words <= 8 ||
      (own.signals.words <= 25 &&
        (answersQuestion || own.signals.advice || FOLLOW_UP.test(input.query))));
  let inheritedTier: Tier | 0 = 0;
  if (followUp) {
    // The last two user turns carry the conversation's stakes.
    // Scored alone, and joined to the follow-up ("how much is Pro a seat?" + "and for 12?").
    const recent = userTurns.slice(-2).map((t) => t.content);
    const before = [...recent, `${recent.at(-1) ?? ''} ${input.query}`].map(
      (t) => scoreMessage(t).score,
    );
    // The assistant's own last turn can carry the stakes too ("call 911 now", "chocolate is toxic").
    const lastAssistant = history.findLast((t) => t.role === 'assistant')?.content ?? '';
    const warned = EMERGENCY.test(lastAssistant) || ASSISTANT_WARNING.test(lastAssistant);
    const inherited = Math.max(warned ? 0.9 : 0, ...before);
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
  // The learned detector backs up the cue lists on phrasings they do not know; it only raises.
  const critical =
    own.signals.smallTalk || options.learned === false
      ? 0
      : criticalProbability(input.query, history);
  if (score < TIER3_FROM && critical > CRITICAL_PROBABILITY) {
    score = TIER3_FROM + 0.05;
    reasons.push(`resembles critical requests (learned, p=${critical.toFixed(2)})`);
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
      criticalProbability: Math.round(critical * 1000) / 1000,
    },
  };
}
