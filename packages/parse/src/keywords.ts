/** Keyword search: case-insensitive substring counts and the lines each keyword appears on. */

export interface KeywordHits {
  /** Occurrences in the whole text (a line with the keyword twice counts twice). */
  count: number;
  /** 1-based numbers of the lines that contain the keyword, each once, in order. */
  lines: number[];
}

/**
 * Counts each keyword as a case-insensitive substring, so `total` also counts `Subtotal`: OCR
 * text splits and joins words unpredictably, and a pattern with word boundaries is what the
 * `regex` option is for.
 */
export function findKeywords(keywords: string[], lines: string[]): Record<string, KeywordHits> {
  const lowered = lines.map((line) => line.toLocaleLowerCase());
  const result: Record<string, KeywordHits> = {};

  for (const keyword of keywords) {
    const needle = keyword.toLocaleLowerCase();
    const hits: KeywordHits = { count: 0, lines: [] };
    lowered.forEach((line, index) => {
      const found = countOccurrences(line, needle);
      if (found === 0) return;
      hits.count += found;
      hits.lines.push(index + 1);
    });
    result[keyword] = hits;
  }
  return result;
}

function countOccurrences(haystack: string, needle: string): number {
  let count = 0;
  for (
    let at = haystack.indexOf(needle);
    at >= 0;
    at = haystack.indexOf(needle, at + needle.length)
  ) {
    count += 1;
  }
  return count;
}
