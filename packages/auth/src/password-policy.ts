import { createHash } from 'node:crypto';
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { PASSWORD_MAX } from './password.ts';

/**
 * The rule for a new password (sign-up, change, reset), after the 12-128 length check:
 *
 * 1. Not in the offline list of common and breached passwords (@zxcvbn-ts/language-common,
 *    ~49,000 entries, compared case-insensitively).
 * 2. zxcvbn estimates at least 10^8 guesses (score >= PASSWORD_MIN_SCORE, default 3), with the
 *    person's email, name and organisation as extra dictionary words. At 12+ characters this
 *    refuses only patterns: keyboard rows, repeats, sequences, a common word plus digits.
 * 3. When HIBP_ENABLED, not in Have I Been Pwned (k-anonymity: only 5 hex characters of the
 *    SHA-1 leave the server). An unreachable or slow service does not block anyone (fail open).
 *
 * No composition rules (NIST SP 800-63B 3.1.1.2, ASVS V2.1.9): a long passphrase passes.
 */
export type PasswordPolicyOptions = {
  minScore: number;
  hibp: { enabled: boolean; url: string; timeoutMs: number };
  log?: { warn(obj: object, msg: string): void };
};

export type PasswordPolicy = {
  /** Why the password is refused (a sentence for the person choosing it), or null when it is fine. */
  problem(password: string, userInputs?: string[]): Promise<string | null>;
};

type Estimator = { zxcvbn: ZxcvbnFactory; common: Set<string> };

/** zxcvbn feedback keys, as reasons a person can act on. */
const REASONS: Record<string, string> = {
  straightRow: 'it is a row of keys on the keyboard',
  keyPattern: 'it is a keyboard pattern',
  simpleRepeat: 'it repeats characters',
  extendedRepeat: 'it repeats a short pattern',
  sequences: 'it is a sequence like abc or 123',
  recentYears: 'it leans on a recent year',
  dates: 'it leans on a date',
  topTen: 'it is one of the most used passwords',
  topHundred: 'it is one of the most used passwords',
  common: 'it is a commonly used password',
  similarToCommon: 'it is a small variation of a commonly used password',
  userInputs: 'it contains your name, email or organisation',
};

const ADVICE = 'choose a longer passphrase of several unrelated words';

// Loaded on first use (the dictionary is about 30 ms to build), once per process.
let estimator: Promise<Estimator> | undefined;
function loadEstimator(): Promise<Estimator> {
  estimator ??= (async () => {
    const [{ ZxcvbnFactory }, { adjacencyGraphs, dictionary }] = await Promise.all([
      import('@zxcvbn-ts/core'),
      import('@zxcvbn-ts/language-common'),
    ]);
    const zxcvbn = new ZxcvbnFactory({
      dictionary,
      graphs: adjacencyGraphs,
      maxLength: PASSWORD_MAX,
      // Levenshtein matching costs ~50x the time per check for near-identical verdicts.
      useLevenshteinDistance: false,
    });
    return { zxcvbn, common: new Set(dictionary['passwords-common'].map((p) => p.toLowerCase())) };
  })();
  return estimator;
}

/** Only what the estimator can use: words of 3+ characters from the person's own details. */
function inputsOf(values: string[]): string[] {
  const words = new Set<string>();
  for (const value of values) {
    const v = value.trim().toLowerCase();
    if (v.length >= 3) words.add(v);
    for (const part of v.split(/[^\p{L}\p{N}]+/u)) if (part.length >= 3) words.add(part);
  }
  return [...words];
}

export function createPasswordPolicy(opts: PasswordPolicyOptions): PasswordPolicy {
  return {
    async problem(password, userInputs = []) {
      const { zxcvbn, common } = await loadEstimator();
      if (common.has(password.toLowerCase())) return `is a commonly used password; ${ADVICE}`;
      const result = zxcvbn.check(password, inputsOf(userInputs));
      if (result.score < opts.minScore) {
        const reason = (result.feedback.warning && REASONS[result.feedback.warning]) || null;
        return `is too easy to guess${reason ? ` (${reason})` : ''}; ${ADVICE}`;
      }
      if (opts.hibp.enabled && (await pwned(password, opts)))
        return `appears in a known data breach, so attackers try it first; ${ADVICE}`;
      return null;
    },
  };
}

/**
 * Have I Been Pwned's range API: GET /range/<first 5 hex of SHA-1> answers `SUFFIX:COUNT`
 * lines; Add-Padding makes every answer a similar size (padding lines count 0). Any failure
 * (network, timeout, unexpected status) answers false: the check is advisory, sign-up is not.
 */
async function pwned(password: string, opts: PasswordPolicyOptions): Promise<boolean> {
  const sha1 = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
  const prefix = sha1.slice(0, 5);
  const suffix = sha1.slice(5);
  const url = `${opts.hibp.url.replace(/\/+$/, '')}/range/${prefix}`;
  try {
    const response = await fetch(url, {
      headers: { 'add-padding': 'true', 'user-agent': 'enterprise-ai-assistant-platform' },
      signal: AbortSignal.timeout(opts.hibp.timeoutMs),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    for (const line of (await response.text()).split('\n')) {
      const [hash, count] = line.trim().split(':');
      if (hash?.toUpperCase() === suffix && Number(count) > 0) return true;
    }
    return false;
  } catch (e) {
    opts.log?.warn(
      { err: e instanceof Error ? e.message : String(e), url },
      'breached-password check unavailable; password accepted without it',
    );
    return false;
  }
}
