/**
 * Character error rate: how far recognised text is from the ground truth, for tests and benches.
 */

/**
 * Compare text, not layout: Unicode compatibility forms (ligatures), whitespace runs as one space.
 */
function normalise(text: string): string[] {
  return Array.from(text.normalize("NFKC").replace(/\s+/g, " ").trim());
}

/** Levenshtein distance over code points, two rows at a time. */
function editDistance(a: string[], b: string[]): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * Edits needed to turn `hypothesis` into `reference`, divided by the reference's length after
 * normalisation. 0 is a perfect match; it can exceed 1 when the hypothesis is much longer.
 */
export function cer(reference: string, hypothesis: string): number {
  const ref = normalise(reference);
  const hyp = normalise(hypothesis);
  if (ref.length === 0) return hyp.length === 0 ? 0 : 1;
  return editDistance(ref, hyp) / ref.length;
}
