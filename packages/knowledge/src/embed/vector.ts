/** Scales `v` in place to unit length; returns false (leaving it untouched) when it is all zeros. */
export function normalizeInPlace(v: number[]): boolean {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += (v[i] ?? 0) * (v[i] ?? 0);
  if (!(sum > 0) || !Number.isFinite(sum)) return false;
  const inv = 1 / Math.sqrt(sum);
  for (let i = 0; i < v.length; i++) v[i] = (v[i] ?? 0) * inv;
  return true;
}

/**
 * Index of the first text no provider can embed (empty or whitespace; OpenAI and Voyage refuse
 * empty strings with a 400), or -1.
 */
export function emptyTextIndex(texts: string[]): number {
  return texts.findIndex((t) => typeof t !== 'string' || t.trim() === '');
}
