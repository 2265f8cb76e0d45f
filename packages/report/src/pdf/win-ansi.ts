/** Maps any Unicode text onto the WinAnsi repertoire of the PDF standard fonts (Helvetica, …). */

// The standard 14 fonts only carry WinAnsi glyphs: printable ASCII, Latin-1 and these extras.
const WIN_ANSI_EXTRAS = new Set("€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ");

// Common characters without a WinAnsi glyph and without a Unicode decomposition.
const TRANSLITERATIONS: Record<string, string> = {
  ł: "l",
  Ł: "L",
  đ: "d",
  Đ: "D",
  ı: "i",
  ŋ: "n",
  ħ: "h",
  "‐": "-",
  "‑": "-",
  "‒": "-",
  "−": "-",
  "―": "—",
  "′": "'",
  "″": '"',
  "→": "->",
  "←": "<-",
  "⇒": "=>",
  "≤": "<=",
  "≥": ">=",
  "≠": "!=",
  "≈": "~",
  "✓": "v",
  "✔": "v",
  "✗": "x",
  "◦": "•",
  "▪": "•",
  "●": "•",
};

function isWinAnsi(char: string): boolean {
  const code = char.codePointAt(0) ?? 0;
  return (
    (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRAS.has(char)
  );
}

export interface TextSanitizer {
  /** The text with every character the standard fonts cannot draw replaced. */
  clean(text: string): string;
  /** How many characters had no WinAnsi equivalent and became "?". */
  readonly replaced: number;
}

export function createTextSanitizer(): TextSanitizer {
  let replaced = 0;
  const cache = new Map<string, string>();

  const mapChar = (char: string): string => {
    const known = cache.get(char);
    if (known !== undefined) return known;

    let mapped: string;
    if (char === "\t") mapped = "    ";
    else if (/[\p{Cc}\p{Cf}]/u.test(char)) mapped = "";
    else if (/[\u2000-\u200a\u202f\u205f\u3000]/u.test(char)) mapped = " ";
    else if (TRANSLITERATIONS[char] !== undefined) mapped = TRANSLITERATIONS[char];
    else {
      // Accented letters, ligatures and full-width forms decompose into drawable characters.
      const decomposed = char.normalize("NFKD").replace(/\p{M}/gu, "");
      mapped = decomposed && [...decomposed].every(isWinAnsi) ? decomposed : "?";
    }
    cache.set(char, mapped);
    return mapped;
  };

  return {
    // An arrow function, so `clean` can be passed around on its own.
    clean: (text) => {
      // Fast path: most report text is already drawable.
      if (/^[\u0020-\u007e\u00a0-\u00ff]*$/.test(text)) return text;

      let out = "";
      for (const char of text) {
        if (isWinAnsi(char)) {
          out += char;
          continue;
        }
        const mapped = mapChar(char);
        if (mapped === "?") replaced++;
        out += mapped;
      }
      return out;
    },
    get replaced() {
      return replaced;
    },
  };
}
