/** Prompt templates: `{{placeholders}}` filled from the stage's input, within a size budget. */

import { AppError } from "@crpipeline/errors";

export interface PromptContext {
  /** The text the previous stages produced (OCR text or the document's own text). */
  text: string;
  /** The latest parse stage's output, when one ran. */
  parsed?: unknown;
  document: { name: string; contentType: string };
  /** Earlier stages' outputs by stage index: `{{previous.0.text}}`. */
  previous?: unknown[];
}

export interface RenderOptions {
  /** Characters the whole rendered prompt may have; inserted values are cut to fit. */
  maxChars?: number;
}

export const DEFAULT_PROMPT_CHARS = 100_000;

// `{{ name }}` or a dotted path like `{{previous.1.json.total}}`; anything else between double
// braces (say, a JSON example `{{"a": 1}}`) is left alone as literal text.
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*\}\}/g;
const EXACT = new Set(["text", "parsed", "document.name", "document.contentType"]);
const PATH_ROOTS = new Set(["parsed", "previous"]);

const isKnown = (path: string) => {
  const [root = "", ...rest] = path.split(".");
  if (EXACT.has(path)) return true;
  // `previous` alone says nothing about which stage; it needs an index.
  if (root === "previous") return /^\d+$/.test(rest[0] ?? "");
  return PATH_ROOTS.has(root) && rest.length > 0;
};

/**
 * The placeholders a template uses, in order of first appearance. Throws a 400 naming every
 * unknown one, so the API can reject a pipeline or prompt template when it is written.
 */
export function promptPlaceholders(template: string): string[] {
  const found = [...new Set([...template.matchAll(PLACEHOLDER)].map((match) => match[1] ?? ""))];
  const unknown = found.filter((path) => !isKnown(path));
  if (unknown.length > 0) {
    const names = unknown.map((path) => `{{${path}}}`).join(", ");
    throw new AppError(
      "prompt_placeholder_unknown",
      `Unknown prompt placeholder ${names}; use {{text}}, {{parsed}}, {{document.name}}, ` +
        "{{document.contentType}} or {{previous.<n>}} (dotted paths allowed after parsed and " +
        "previous.<n>)",
      400,
      { details: { unknown } },
    );
  }
  return found;
}

/**
 * Fills the template's placeholders. Values are inserted as plain text and never expanded
 * again, so a document containing `{{text}}` cannot inject anything. A placeholder with no
 * value (no parse stage ran, a path that does not exist) is a 422 naming it, rather than an
 * empty gap in a prompt someone pays for. Strings go in as they are, other values as JSON.
 */
export function renderPrompt(
  template: string,
  context: PromptContext,
  options: RenderOptions = {},
): string {
  try {
    promptPlaceholders(template);
  } catch (error) {
    // At run time the template is already stored: the stage cannot run, which is a 422.
    if (error instanceof AppError) {
      throw new AppError(error.code, error.message, 422, { details: error.details });
    }
    throw error;
  }

  const pieces: string[] = [];
  const values: string[] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    pieces.push(template.slice(last, match.index));
    values.push(valueText(match[1] ?? "", context));
    last = match.index + match[0].length;
  }
  pieces.push(template.slice(last));

  const literal = pieces.reduce((total, piece) => total + piece.length, 0);
  const budget = Math.max(0, (options.maxChars ?? DEFAULT_PROMPT_CHARS) - literal);
  const fitted = fitToBudget(values, budget);
  return pieces.map((piece, i) => piece + (fitted[i] ?? "")).join("");
}

function valueText(path: string, context: PromptContext): string {
  const [root = "", ...rest] = path.split(".");
  let value: unknown =
    root === "document" ? context.document : context[root as keyof PromptContext];
  for (const key of rest) {
    value =
      value !== null && typeof value === "object"
        ? (value as Record<string, unknown>)[key]
        : undefined;
  }
  if (value === undefined) {
    throw new AppError(
      "prompt_value_missing",
      `Prompt placeholder {{${path}}} has no value for this document`,
      422,
    );
  }
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

/**
 * Cuts values so that together they fit in `budget` characters. Short values are kept whole
 * and the rest share what is left equally, so one huge OCR text does not push out the small
 * values around it. A cut value ends with a marker saying how much is missing.
 */
export function fitToBudget(values: string[], budget: number): string[] {
  const order = values.map((value, index) => ({ index, length: value.length }));
  order.sort((a, b) => a.length - b.length);

  const allowed: number[] = [];
  let remaining = budget;
  order.forEach(({ index, length }, position) => {
    const share = Math.floor(remaining / (order.length - position));
    allowed[index] = Math.min(length, share);
    remaining -= allowed[index];
  });

  return values.map((value, index) => truncate(value, allowed[index] ?? 0));
}

function truncate(value: string, limit: number): string {
  if (value.length <= limit) return value;
  const marker = (cut: number) => `\n[… truncated ${cut} characters]`;
  // The marker itself takes room; keep at least the marker when the share is tiny.
  const keep = Math.max(0, limit - marker(value.length).length);
  return value.slice(0, keep) + marker(value.length - keep);
}
