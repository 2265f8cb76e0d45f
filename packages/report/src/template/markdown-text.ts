/** Values from job outputs written as Markdown: escaped text, lists, tables and JSON blocks. */

/** Rows and items a helper writes at most; the rest is summarised in one line. */
export const MAX_HELPER_ITEMS = 2_000;
const MAX_TABLE_COLUMNS = 12;

// Every character that can start or end Markdown syntax; CommonMark lets any of them be
// backslash-escaped, so escaping never shows a backslash in the rendered text.
const MARKDOWN_SYNTAX = /[\\`*_{}[\]()#+\-.!|<>~&=:]/g;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date)
  );
}

/**
 * Text that Markdown shows exactly as it is: syntax characters escaped, leading indentation kept
 * (as no-break spaces, which are not indentation to Markdown), and each line break kept as one.
 */
export function escapeMarkdown(text: string): string {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  return lines
    .map((line, i) => {
      const indent = /^[ \t]*/.exec(line)?.[0] ?? "";
      const body = line
        .slice(indent.length)
        .trimEnd()
        .replace(MARKDOWN_SYNTAX, "\\$&")
        // Runs of spaces (columns in OCR text) would collapse to one; no-break spaces do not.
        .replace(/ {2,}/g, (run) => `${"\u00a0".repeat(run.length - 1)} `);
      const kept = indent.replace(/\t/g, "    ").replace(/ /g, "\u00a0");
      const next = lines[i + 1];
      // A backslash before the newline is a hard line break, only valid between two lines.
      const hardBreak = body !== "" && next !== undefined && next.trim() !== "";
      return `${body ? kept : ""}${body}${hardBreak ? "\\" : ""}`;
    })
    .join("\n");
}

function formatNumber(value: number): string {
  if (Number.isInteger(value) || !Number.isFinite(value)) return String(value);
  return String(Math.round(value * 10_000) / 10_000);
}

/** The plain-text form of any JSON value. */
export function formatValue(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value) && value.every((item) => !isRecord(item) && !Array.isArray(item))) {
    return value.map(formatValue).join(", ");
  }
  return JSON.stringify(value) ?? "";
}

/** One line of a list item or a table cell. */
function inlineText(value: unknown): string {
  return escapeMarkdown(formatValue(value).replace(/\s*\n\s*/g, " "));
}

function moreLine(count: number, what: string): string {
  return `*… ${count} more ${what} not shown.*`;
}

export function markdownList(value: unknown): string {
  const entries: string[] = Array.isArray(value)
    ? value.map((item) => inlineText(item))
    : isRecord(value)
      ? Object.entries(value).map(([key, item]) => `**${inlineText(key)}:** ${inlineText(item)}`)
      : value === undefined || value === null || value === ""
        ? []
        : [inlineText(value)];
  if (entries.length === 0) return "*(none)*\n";

  const shown = entries.slice(0, MAX_HELPER_ITEMS).map((entry) => `- ${entry || " "}`);
  if (entries.length > MAX_HELPER_ITEMS)
    shown.push("", moreLine(entries.length - MAX_HELPER_ITEMS, "items"));
  return `${shown.join("\n")}\n`;
}

interface Grid {
  headers: string[];
  rows: unknown[][];
}

/**
 * The shapes a table can come in: `{ headers, rows }` (the parse stage's table), an array of
 * arrays (first row is the header), an array of objects (keys are the columns), or an object
 * (one row per key, its value in a second column, or spread into columns when it is an object).
 */
function toGrid(value: unknown): Grid | undefined {
  if (isRecord(value) && Array.isArray(value.rows)) {
    const headers = (Array.isArray(value.headers) ? value.headers : []).map(formatValue);
    const rows = value.rows.map((row) =>
      Array.isArray(row) ? row : isRecord(row) ? headers.map((h) => row[h]) : [row],
    );
    const width = Math.max(headers.length, ...rows.map((row) => row.length));
    return { headers: Array.from({ length: width }, (_, c) => headers[c] ?? ""), rows };
  }
  if (Array.isArray(value)) {
    if (value.every(Array.isArray)) {
      const [first = [], ...rows] = value as unknown[][];
      return { headers: first.map(formatValue), rows };
    }
    if (value.every(isRecord)) {
      const headers = [...new Set(value.flatMap((row) => Object.keys(row)))];
      return { headers, rows: value.map((row) => headers.map((header) => row[header])) };
    }
    return { headers: ["Value"], rows: value.map((item) => [item]) };
  }
  if (isRecord(value)) {
    const entries = Object.entries(value);
    if (entries.length > 0 && entries.every(([, item]) => isRecord(item))) {
      const keys = [
        ...new Set(entries.flatMap(([, item]) => Object.keys(item as Record<string, unknown>))),
      ];
      return {
        headers: ["Name", ...keys],
        rows: entries.map(([key, item]) => [
          key,
          ...keys.map((k) => (item as Record<string, unknown>)[k]),
        ]),
      };
    }
    return { headers: ["Name", "Value"], rows: entries.map(([key, item]) => [key, item]) };
  }
  return undefined;
}

export function markdownTable(value: unknown): string | undefined {
  const grid = toGrid(value);
  if (!grid) return undefined;
  if (grid.rows.length === 0 && grid.headers.length === 0) return "*(empty table)*\n";

  const columns = Math.max(1, Math.min(MAX_TABLE_COLUMNS, grid.headers.length));
  const row = (cells: readonly unknown[]) =>
    `| ${Array.from({ length: columns }, (_, c) => inlineText(cells[c]) || " ").join(" | ")} |`;
  const numeric = Array.from(
    { length: columns },
    (_, c) =>
      grid.rows.length > 0 &&
      grid.rows.every(
        (cells) =>
          /^-?[\d.,\s%€$]*\d[\d.,\s%€$]*$/.test(formatValue(cells[c]).trim()) ||
          formatValue(cells[c]).trim() === "",
      ),
  );
  const lines = [
    row(grid.headers),
    `| ${numeric.map((right) => (right ? "---:" : "---")).join(" | ")} |`,
    ...grid.rows.slice(0, MAX_HELPER_ITEMS).map(row),
  ];
  if (grid.rows.length > MAX_HELPER_ITEMS)
    lines.push("", moreLine(grid.rows.length - MAX_HELPER_ITEMS, "rows"));
  if (grid.headers.length > MAX_TABLE_COLUMNS)
    lines.push("", moreLine(grid.headers.length - MAX_TABLE_COLUMNS, "columns"));
  return `${lines.join("\n")}\n`;
}

/** A fenced block longer than any backtick run inside, so the JSON cannot close it early. */
export function markdownJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2) ?? "null";
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(Math.max(3, longestRun + 1));
  return `${fence}json\n${text}\n${fence}\n`;
}
