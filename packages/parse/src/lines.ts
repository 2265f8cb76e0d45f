/** Splits stage text into lines the same way for every parse feature, so line numbers agree. */

export const splitLines = (text: string): string[] => text.split(/\r\n|\r|\n/);

/** The non-empty lines, trimmed, in order. */
export const nonEmptyLines = (lines: string[]): string[] =>
  lines.map((line) => line.trim()).filter((line) => line.length > 0);
