/** Reads numbers the way they appear on invoices and OCR output, in English and European style. */

// Currency marks and common ISO codes around an amount carry no value for a sum. The codes are
// listed rather than matched as any three capitals so that a product code like `ABC123` stays text.
const CODES = "USD|EUR|GBP|CHF|JPY|CAD|AUD|NZD|INR|CNY|SEK|NOK|DKK|PLN|CZK|HUF|BRL|MXN|ZAR";
const CURRENCY = new RegExp(
  `^(?:(?:${CODES})\\s*)?[$€£¥₹]?\\s*|\\s*[$€£¥₹]?(?:\\s*(?:${CODES}))?$`,
  "g",
);
const stripCurrency = (value: string) => value.replace(CURRENCY, "").trim();
const SHAPE = /^\d[\d.,' \u00a0\u202f]*$/;

/**
 * Parses one table cell as a number, or returns null when it is not one.
 *
 * Accepted: `1234`, `-12.5`, `+3`, `−7` (Unicode minus), `(45.00)` (accounting negative),
 * `1,234.56` (English), `1.234,56` (European), `1 234,56` / `1'234.56` (space or apostrophe
 * thousands), with a currency symbol or ISO code before or after, and a trailing `%`.
 *
 * Ambiguous single separators are decided like this: a separator that occurs more than once
 * groups thousands; a lone `,` followed by exactly three digits groups thousands (`1,234` is
 * 1234, as on English invoices), any other lone `,` is a decimal comma (`12,5`); a lone `.` is
 * always a decimal point (`1.234` is 1.234). When both `,` and `.` occur, the last one is the
 * decimal separator. Thousands groups must have three digits (Indian `12,34,567` is rejected).
 */
export function parseNumber(raw: string): number | null {
  let text = stripCurrency(raw.trim().replace(/%$/, ""));
  let negative = false;

  if (/^\(.*\)$/.test(text)) {
    negative = true;
    text = stripCurrency(text.slice(1, -1));
  }
  const sign = /^[-+\u2212]/.exec(text);
  if (sign) {
    negative = negative !== (sign[0] !== "+");
    text = stripCurrency(text.slice(1));
  }
  if (!SHAPE.test(text)) return null;

  const normalised = normaliseSeparators(text);
  if (normalised === null) return null;
  const value = Number(normalised);
  if (!Number.isFinite(value)) return null;
  return negative ? -value : value;
}

/** Rewrites digits and separators into `1234.56` form; null when the grouping is wrong. */
function normaliseSeparators(text: string): string | null {
  const compact = text.replace(/[' \u00a0\u202f]/g, (_mark, offset: number) =>
    // A space or apostrophe may only group thousands: exactly three digits must follow.
    /^\d{3}(?!\d)/.test(text.slice(offset + 1)) ? "" : "!",
  );
  if (compact.includes("!")) return null;

  const lastComma = compact.lastIndexOf(",");
  const lastDot = compact.lastIndexOf(".");
  let decimal: "," | "." | null = null;

  if (lastComma >= 0 && lastDot >= 0) {
    decimal = lastComma > lastDot ? "," : ".";
  } else if (lastComma >= 0 || lastDot >= 0) {
    const mark = lastComma >= 0 ? "," : ".";
    const count = compact.split(mark).length - 1;
    const digitsAfter = compact.length - compact.lastIndexOf(mark) - 1;
    const groupsThousands = count > 1 || (mark === "," && digitsAfter === 3);
    decimal = groupsThousands ? null : mark;
  }

  const [integer = "", fraction, ...rest] = decimal ? compact.split(decimal) : [compact];
  if (rest.length > 0 || (fraction !== undefined && !/^\d+$/.test(fraction))) return null;

  const groups = integer.split(/[.,]/);
  if (groups.length > 1) {
    const [first = "", ...others] = groups;
    if (!/^\d{1,3}$/.test(first) || others.some((group) => !/^\d{3}$/.test(group))) return null;
  }
  const digits = groups.join("");
  if (!/^\d+$/.test(digits)) return null;
  return fraction === undefined ? digits : `${digits}.${fraction}`;
}

/** Rounds away binary floating-point noise (0.1 + 0.2) in a computed value such as a mean. */
export const tidy = (value: number) => Number(value.toPrecision(15));

/**
 * Sums decimal amounts without binary rounding noise: 1,250.00 and -1,250.00 among cents must
 * leave the cents exact. The values are scaled to integers by their longest fraction (up to
 * 10 digits), added, and scaled back.
 */
export function decimalSum(values: number[]): number {
  // Exponent notation (1e-7, 1e21) has no fraction digits to count; such sums stay plain.
  if (values.some((value) => String(value).includes("e"))) {
    return tidy(values.reduce((total, value) => total + value, 0));
  }
  const decimals = values.reduce((most, value) => {
    const fraction = /\.(\d+)$/.exec(String(value))?.[1] ?? "";
    return Math.max(most, Math.min(fraction.length, 10));
  }, 0);
  const scale = 10 ** decimals;
  const scaled = values.reduce((total, value) => total + Math.round(value * scale), 0);
  return scaled / scale;
}
