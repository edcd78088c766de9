/**
 * Words as the local embedder sees them: lowercase runs of Unicode letters, marks and digits.
 * Identifiers are split into their parts (camelCase, snake_case, dotted.names) and also kept
 * whole, so `logger.child` matches both "logger" and the exact name. Stop words are dropped.
 */

/** A standard English stop-word list (NLTK's, plus apostrophe-less contractions). */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  `a about above after again against ain all am an and any are aren arent as at be because been
  before being below between both but by can couldn couldnt d did didn didnt do does doesn doesnt
  doing don dont down during each few for from further had hadn hadnt has hasn hasnt have haven
  havent having he her here hers herself him himself his how i if in into is isn isnt it its
  itself just ll m ma me mightn mightnt more most mustn mustnt my myself needn neednt no nor not
  now o of off on once only or other our ours ourselves out over own re s same shan shant she
  shes should shouldn shouldnt shouldve so some such t than that thatll the their theirs them
  themselves then there these they this those through to too under until up ve very was wasn
  wasnt we were weren werent what when where which while who whom why will with won wont
  wouldn wouldnt y you youd youll your youre yours yourself yourselves youve`.split(/\s+/),
);

export type Tokens = {
  /** Content words in order: lowercase, stop words dropped, identifiers split into parts. */
  words: string[];
  /** Whole identifiers that were split (`logger.child`, `maxretries` from maxRetries). */
  identifiers: string[];
  /** The stop words that were dropped, in order (a text of only stop words falls back on them). */
  stopWords: string[];
};

// Runs of letters/marks/digits, joined by `.`, `_` or an apostrophe inside a word.
const RAW = /[\p{L}\p{M}\p{N}]+(?:[._'\u2019][\p{L}\p{M}\p{N}]+)*/gu;
// Anything that needs more than lowercasing: a joiner, or an uppercase letter after the first.
const COMPOUND = /[._'\u2019]|.\p{Lu}/u;
const CAMEL_LOWER_UPPER = /([\p{Ll}\p{N}])(\p{Lu})/gu;
const CAMEL_ACRONYM = /(\p{Lu})(\p{Lu}\p{Ll})/gu;

function push(word: string, out: Tokens): void {
  if (STOP_WORDS.has(word)) out.stopWords.push(word);
  else out.words.push(word);
}

export function tokenize(text: string): Tokens {
  const out: Tokens = { words: [], identifiers: [], stopWords: [] };
  for (const match of text.matchAll(RAW)) {
    const raw = match[0];
    if (!COMPOUND.test(raw)) {
      push(raw.toLowerCase(), out);
      continue;
    }
    // Possessive 's goes; other apostrophes close up (don't -> dont).
    const cleaned = raw.replace(/['\u2019]s(?=$|[._])/giu, '').replace(/['\u2019]/gu, '');
    const parts = cleaned
      .split(/[._]/)
      .flatMap((part) =>
        part.replace(CAMEL_LOWER_UPPER, '$1 $2').replace(CAMEL_ACRONYM, '$1 $2').split(' '),
      )
      .filter(Boolean);
    for (const part of parts) push(part.toLowerCase(), out);
    if (parts.length > 1) out.identifiers.push(cleaned.toLowerCase());
  }
  return out;
}
