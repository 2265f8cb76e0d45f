/** The parse stage: keywords, regex matches, a table and selected lines out of a stage's text. */

import { normaliseGroup, type ParseStage } from "@crpipeline/pipeline";
import { findKeywords, type KeywordHits } from "./keywords.ts";
import { nonEmptyLines, splitLines } from "./lines.ts";
import type { RegexTask } from "./regex-match.ts";
import { runRegexTasks } from "./regex-runner.ts";
import { extractTable, type TableResult } from "./table.ts";

export interface ParseOptions {
  /** Characters of text that are parsed; the rest is ignored and a note says so. */
  maxInputChars?: number;
  /** Wall time one regex (or the `lines.match` filter) may run before it is stopped. */
  regexTimeoutMs?: number;
  /** Values one regex may return; further matches are dropped and a note says so. */
  maxMatches?: number;
}

export const PARSE_DEFAULTS = {
  maxInputChars: 2_000_000,
  regexTimeoutMs: 2_000,
  maxMatches: 1_000,
} satisfies Required<ParseOptions>;

export interface ParseResult {
  keywords?: Record<string, KeywordHits>;
  /** Per named pattern, the matched values (the chosen group) in order of appearance. */
  regex?: Record<string, string[]>;
  table?: TableResult;
  lines?: string[];
  /** Limits that were reached, so a short result is never mistaken for a complete one. */
  notes?: string[];
}

/**
 * Runs every feature the stage configures over the text. Regexes run in a worker thread with a
 * per-pattern deadline (`regexTimeoutMs`) and a match cap; a pattern that runs too long fails
 * the stage with a 422 naming it.
 */
export async function runParse(
  stage: ParseStage,
  text: string,
  options: ParseOptions = {},
): Promise<ParseResult> {
  const limits = { ...PARSE_DEFAULTS, ...options };
  const notes: string[] = [];
  const result: ParseResult = {};

  if (text.length > limits.maxInputChars) {
    notes.push(`only the first ${limits.maxInputChars} of ${text.length} characters were parsed`);
    text = text.slice(0, limits.maxInputChars);
  }
  const lines = splitLines(text);

  if (stage.keywords) result.keywords = findKeywords(stage.keywords, lines);
  if (stage.table) result.table = extractTable(stage.table, lines);

  const tasks: RegexTask[] = (stage.regex ?? []).map((pattern) => ({
    kind: "matches",
    label: pattern.name,
    source: pattern.pattern,
    flags: pattern.flags ?? "",
    group: normaliseGroup(pattern.group),
    max: limits.maxMatches,
  }));
  const candidates = stage.lines ? nonEmptyLines(lines) : [];
  if (stage.lines?.match) {
    tasks.push({
      kind: "filter",
      label: "lines.match",
      source: stage.lines.match,
      flags: "",
      max: stage.lines.limit,
    });
  }

  const outcomes = await runRegexTasks(tasks, { text, lines: candidates }, limits.regexTimeoutMs);
  if (stage.regex) {
    result.regex = {};
    stage.regex.forEach((pattern, index) => {
      const outcome = outcomes[index];
      if (!result.regex || !outcome) return;
      result.regex[pattern.name] = outcome.values;
      if (outcome.truncated) {
        notes.push(`regex "${pattern.name}" stopped at ${limits.maxMatches} matches`);
      }
    });
  }

  if (stage.lines) {
    const filtered = stage.lines.match ? outcomes[tasks.length - 1] : undefined;
    const values = filtered?.values ?? candidates.slice(0, stage.lines.limit);
    const truncated = filtered ? filtered.truncated : candidates.length > stage.lines.limit;
    result.lines = values;
    if (truncated) notes.push(`lines stopped at the limit of ${stage.lines.limit}`);
  }

  if (notes.length > 0) result.notes = notes;
  return result;
}
