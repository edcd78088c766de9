import { contentStems, splitSentences } from '../../text/terms.ts';

/** A retrieved passage, numbered by its position: the first is cited as [1]. */
export interface Passage {
  title: string;
  text: string;
}

export interface Extract {
  /** The answer text with [n] citation markers; empty when the passages hold no answer. */
  text: string;
  /** 1-based passage numbers cited, in order of first use. */
  cited: number[];
  /** Share of the question's weighted terms the best sentence covers, 0..1. */
  coverage: number;
}

/** Below this the best sentence shares too little with the question to be its answer. */
const MIN_COVERAGE = 0.34;
/** Between this and MIN_COVERAGE the closest passage is quoted, and said to be only the closest. */
const MIN_RELATED = 0.15;
/** Word-vector cosine from which a sentence counts as close in meaning (measured: a question's
 * best sentence in its own article has a median of 0.64, in an unrelated one 0.41). */
const MIN_SIMILARITY = 0.55;
export const CLOSEST_PREFIX =
  "The knowledge base doesn't answer this directly; the closest it comes is: ";
/** Further sentences must reach this share of the best one's score. */
const FOLLOW_RATIO = 0.55;
const MAX_SENTENCES = 3;
const MAX_WORDS = 90;

/**
 * Retrieval already ranked the passages with the whole knowledge base in view (BM25 statistics
 * and vectors), which a sentence-level match cannot see; a lower-ranked passage must match
 * clearly better to be quoted.
 */
const RANK_DECAY = 0.15;
const rankWeight = (rank: number) => 1 - RANK_DECAY * Math.min(rank, 5);

interface Scored {
  passage: number;
  position: number;
  text: string;
  stems: Set<string>;
  score: number;
}

/**
 * Picks the sentences that best answer the question, by inverse-document-frequency-weighted
 * overlap of content stems, with a slight preference for higher-ranked passages. Deterministic:
 * the same question and passages always give the same answer.
 */
export function extractAnswer(
  question: string,
  passages: Passage[],
  /** Meaning-level similarity of the question to each sentence (by sentence text), 0..1. */
  similarity?: ReadonlyMap<string, number>,
): Extract {
  // One-letter tokens ("r u open?") carry no meaning to match on.
  const query = [...new Set(contentStems(question))].filter((t) => t.length > 1 || /\d/.test(t));
  const sentences: Scored[] = passages.flatMap((p, passage) =>
    splitSentences(p.text).map((text, position) => ({
      passage,
      position,
      text,
      stems: new Set(contentStems(text)),
      score: 0,
    })),
  );
  if (!query.length || !sentences.length) return { text: '', cited: [], coverage: 0 };

  const df = new Map<string, number>();
  for (const s of sentences) for (const t of s.stems) df.set(t, (df.get(t) ?? 0) + 1);
  // A word no passage contains weighs like the rarest word that one does: it says the question
  // asks for something more, without outweighing everything the passages do match.
  const idf = (t: string) => Math.log(1 + (sentences.length + 1) / ((df.get(t) ?? 1) + 0.5));
  const total = query.reduce((sum, t) => sum + idf(t), 0);
  // A passage whose title and text together cover the question is about it, even when no single
  // sentence repeats the question's words ("opening hours" -> "available Monday to Friday").
  const passageCoverage = passages.map((p) => {
    const stems = new Set(contentStems(`${p.title} ${p.text}`));
    return query.reduce((sum, t) => sum + (stems.has(t) ? idf(t) : 0), 0) / total;
  });
  for (const s of sentences) {
    const own = query.reduce((sum, t) => sum + (s.stems.has(t) ? idf(t) : 0), 0) / total;
    const about = passageCoverage[s.passage] ?? 0;
    s.score = (0.65 * own + 0.35 * about) * rankWeight(s.passage);
  }

  const ranked = [...sentences].sort(
    (a, b) => b.score - a.score || a.passage - b.passage || a.position - b.position,
  );
  const best = ranked[0];
  if (!best) return { text: '', cited: [], coverage: 0 };
  if (best.score < MIN_COVERAGE) {
    // Not clearly an answer. The sentence closest in meaning (word vectors bridge "weekdays" and
    // "Monday to Friday"), or failing that a partial word match, is quoted and said to be only
    // the closest; below both bars the answer is that there is none.
    const bySense = similarity
      ? [...sentences]
          .map((s) => ({ s, sim: (similarity.get(s.text) ?? 0) * rankWeight(s.passage) }))
          .sort((a, b) => b.sim - a.sim || a.s.passage - b.s.passage)[0]
      : undefined;
    const closest =
      bySense && bySense.sim >= MIN_SIMILARITY
        ? bySense.s
        : best.score >= MIN_RELATED
          ? best
          : undefined;
    if (!closest) return { text: '', cited: [], coverage: best.score };
    const next = sentences.find(
      (s) => s.passage === closest.passage && s.position === closest.position + 1,
    );
    const quoted = [closest, ...(next ? [next] : [])].map((s) =>
      /[.!?]$/.test(s.text) ? s.text : `${s.text}.`,
    );
    return {
      text: `${CLOSEST_PREFIX}${quoted.join(' ')} [${closest.passage + 1}]`,
      cited: [closest.passage + 1],
      coverage: best.score,
    };
  }

  const chosen = [best];
  const covered = new Set(query.filter((t) => best.stems.has(t)));
  let words = best.text.split(/\s+/).length;
  for (const s of ranked.slice(1)) {
    if (chosen.length >= MAX_SENTENCES) break;
    const adds = query.some((t) => s.stems.has(t) && !covered.has(t));
    const continues = s.passage === best.passage && s.position === best.position + 1;
    if (s.score < best.score * FOLLOW_RATIO && !continues) continue;
    if (!adds && !continues) continue;
    const length = s.text.split(/\s+/).length;
    if (words + length > MAX_WORDS) continue;
    chosen.push(s);
    words += length;
    for (const t of query) if (s.stems.has(t)) covered.add(t);
  }
  chosen.sort((a, b) => a.passage - b.passage || a.position - b.position);

  const cited: number[] = [];
  const text = chosen
    .map((s) => {
      if (!cited.includes(s.passage + 1)) cited.push(s.passage + 1);
      const sentence = /[.!?]$/.test(s.text) ? s.text : `${s.text}.`;
      return `${sentence} [${s.passage + 1}]`;
    })
    .join(' ');
  return { text, cited, coverage: best.score };
}
