/** Table extraction from OCR-like text: find the header line, split rows, summarise numbers. */

import type { ParseStage } from "@crpipeline/pipeline";
import { decimalSum, parseNumber, tidy } from "./numbers.ts";

export type TableOptions = NonNullable<ParseStage["table"]>;

export interface ColumnSummary {
  /** How many cells of the column were numbers (the others are ignored). */
  count: number;
  sum: number;
  min: number;
  max: number;
  mean: number;
}

export interface TableResult {
  headers: string[];
  rows: string[][];
  /** 1-based line number of the header line; absent when none was found. */
  headerLine?: number;
  /** Per numeric column, keyed by its header (`column 4` when the header has fewer cells). */
  summary?: Record<string, ColumnSummary>;
  /** Why the table is empty, when it is. */
  note?: string;
}

// OCR and plain-text tables separate columns with runs of spaces, tabs or pipes; a single space
// stays inside a cell so that "Unit price" or "1 234,56" is one value.
const DEFAULT_DELIMITER = /\t+|\s*\|\s*|\s{2,}/;
// Rule lines (`-----`, `|---|:--|`, `=====`) decorate tables; they are neither rows nor stops.
const RULE_LINE = /^[\s|:+=_-]*[-=_][\s|:+=_-]*$/;

export function extractTable(options: TableOptions, lines: string[]): TableResult {
  const wanted = options.headerKeywords.map((keyword) => keyword.toLocaleLowerCase());
  const stops = options.stopKeywords.map((keyword) => keyword.toLocaleLowerCase());
  const split = (line: string) => splitRow(line, options.delimiter);

  const headerIndex = lines.findIndex((line) => {
    const lowered = line.toLocaleLowerCase();
    return wanted.every((keyword) => lowered.includes(keyword));
  });
  if (headerIndex < 0) {
    return {
      headers: [],
      rows: [],
      note: `no line contains all header keywords (${options.headerKeywords.join(", ")})`,
    };
  }

  const rows: string[][] = [];
  for (const line of lines.slice(headerIndex + 1)) {
    // Blank lines between the header and the first row are common in OCR output; a blank line
    // after rows ends the table.
    if (line.trim() === "") {
      if (rows.length > 0) break;
      continue;
    }
    const lowered = line.toLocaleLowerCase();
    if (stops.some((stop) => lowered.includes(stop))) break;
    if (RULE_LINE.test(line)) continue;
    rows.push(split(line));
  }

  const headers = split(lines[headerIndex] ?? "");
  // An explicit delimiter means the author knows the layout; only spacing-split rows are refitted.
  const fitted = options.delimiter ? rows : rows.map((row) => fitRow(row, headers.length));
  const table: TableResult = { headers, rows: fitted };
  table.headerLine = headerIndex + 1;
  if (rows.length === 0) table.note = "the header line is not followed by any rows";
  if (options.numericSummary) table.summary = summarise(headers, table.rows);
  return table;
}

/** Cells of one line, trimmed; a Markdown-style row's outer pipes do not make empty cells. */
function splitRow(line: string, delimiter: string | undefined): string[] {
  if (delimiter !== undefined) return line.split(delimiter).map((cell) => cell.trim());
  const inner = line.trim().replace(/^\|/, "").replace(/\|$/, "");
  return inner.split(DEFAULT_DELIMITER).map((cell) => cell.trim());
}

/**
 * OCR sometimes leaves two spaces inside a description ("Freight  surcharge"), which the default
 * delimiter splits into an extra cell. Text columns usually come first and numbers last, so a row
 * with more cells than the header joins its leading cells back together. Shorter rows are left as
 * they are.
 */
function fitRow(row: string[], width: number): string[] {
  if (width === 0 || row.length <= width) return row;
  const extra = row.length - width + 1;
  return [row.slice(0, extra).join(" "), ...row.slice(extra)];
}

/**
 * A column is numeric when at least half of its non-empty cells parse as numbers: one OCR slip
 * in a column of amounts should not hide its total, while a text column with the odd number in
 * it is not summed.
 */
function summarise(headers: string[], rows: string[][]): Record<string, ColumnSummary> {
  // Reductions rather than Math.max(...spread): a long table would exceed the argument limit.
  const width = rows.reduce((widest, row) => Math.max(widest, row.length), headers.length);
  const summary: Record<string, ColumnSummary> = {};

  for (let column = 0; column < width; column++) {
    const cells = rows.map((row) => row[column] ?? "").filter((cell) => cell !== "");
    const numbers = cells.map(parseNumber).filter((value): value is number => value !== null);
    if (numbers.length === 0 || numbers.length * 2 < cells.length) continue;

    const sum = decimalSum(numbers);
    summary[columnName(headers, column, summary)] = {
      count: numbers.length,
      sum,
      min: numbers.reduce((low, value) => Math.min(low, value)),
      max: numbers.reduce((high, value) => Math.max(high, value)),
      mean: tidy(sum / numbers.length),
    };
  }
  return summary;
}

function columnName(headers: string[], column: number, taken: Record<string, unknown>): string {
  const base = headers[column] || `column ${column + 1}`;
  let name = base;
  for (let copy = 2; name in taken; copy++) name = `${base} (${copy})`;
  return name;
}
