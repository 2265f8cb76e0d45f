/** Parses a report template into a tree of text, placeholders, helpers and blocks. */

import { AppError } from "@crpipeline/errors";

export type Path = readonly string[];
export type HelperName = "table" | "list" | "json";

export type TemplateNode =
  | { kind: "text"; text: string }
  | { kind: "value"; path: Path; raw: boolean; source: string }
  | { kind: "helper"; name: HelperName; path: Path; source: string }
  | { kind: "each"; path: Path; source: string; body: TemplateNode[] }
  | { kind: "if"; path: Path; source: string; whenTrue: TemplateNode[]; whenFalse: TemplateNode[] }
  /** Something that is not a placeholder: rendered empty, reported as a warning. */
  | { kind: "invalid"; source: string; reason: string };

const TAG = /\{\{\{([^{}]*)\}\}\}|\{\{([^{}]*)\}\}/g;
const PATH = /^(?:@key|this|[A-Za-z_][A-Za-z0-9_]*)(?:\.[A-Za-z0-9_-]+)*$/;
const HELPERS = new Set<string>(["table", "list", "json"]);

interface OpenBlock {
  kind: "each" | "if";
  node: Extract<TemplateNode, { kind: "each" | "if" }>;
  line: number;
  inElse: boolean;
}

function invalidTemplate(message: string): AppError {
  return new AppError("invalid_report_template", `Report template: ${message}`, 400);
}

/** Line numbers for error messages; tags come in order, so counting resumes where it stopped. */
function lineCounter(source: string): (index: number) => number {
  let counted = 0;
  let line = 1;
  return (index) => {
    for (
      let i = source.indexOf("\n", counted);
      i !== -1 && i < index;
      i = source.indexOf("\n", i + 1)
    ) {
      line++;
      counted = i + 1;
    }
    return line;
  };
}

/**
 * Block tags alone on their line take the whole line with them, so `{{#each}}` rows stay a table.
 */
function standaloneRange(source: string, start: number, end: number): [number, number] {
  const lineStart = source.lastIndexOf("\n", start - 1) + 1;
  const newline = source.indexOf("\n", end);
  const lineEnd = newline === -1 ? source.length : newline + 1;
  const before = source.slice(lineStart, start);
  const after = source.slice(end, newline === -1 ? source.length : newline);
  return before.trim() === "" && after.trim() === "" ? [lineStart, lineEnd] : [start, end];
}

/**
 * Throws a 400 `invalid_report_template` for structural mistakes (a block never closed, closed
 * twice, `{{else}}` outside `{{#if}}`); unknown placeholders are not errors, they render empty.
 */
export function parseTemplate(source: string): TemplateNode[] {
  const root: TemplateNode[] = [];
  const open: OpenBlock[] = [];
  const lineOf = lineCounter(source);
  let cursor = 0;

  const target = (): TemplateNode[] => {
    const top = open[open.length - 1];
    if (!top) return root;
    if (top.node.kind === "each") return top.node.body;
    return top.inElse ? top.node.whenFalse : top.node.whenTrue;
  };
  const pushText = (text: string) => {
    if (text) target().push({ kind: "text", text });
  };

  for (const match of source.matchAll(TAG)) {
    const start = match.index;
    const end = start + match[0].length;
    const raw = match[1] !== undefined;
    const tag = (match[1] ?? match[2] ?? "").trim();
    const isBlockTag = !raw && /^(#|\/|else$|!)/.test(tag);
    const [from, to] = isBlockTag ? standaloneRange(source, start, end) : [start, end];

    pushText(source.slice(cursor, from));
    cursor = to;
    const line = lineOf(start);
    const words = tag.split(/\s+/);

    if (tag.startsWith("!")) continue;

    if (isBlockTag && tag.startsWith("#")) {
      const [keyword = "", path = "", ...extra] = words;
      const kind = keyword.slice(1);
      if (kind !== "each" && kind !== "if")
        throw invalidTemplate(`unknown block {{${tag}}} on line ${line}`);
      if (!PATH.test(path) || extra.length > 0)
        throw invalidTemplate(
          `{{${tag}}} on line ${line} needs one path, like {{#${kind} parsed.lines}}`,
        );
      const node: OpenBlock["node"] =
        kind === "each"
          ? { kind, path: path.split("."), source: match[0], body: [] }
          : { kind, path: path.split("."), source: match[0], whenTrue: [], whenFalse: [] };
      target().push(node);
      open.push({ kind, node, line, inElse: false });
      continue;
    }

    if (isBlockTag && tag.startsWith("/")) {
      const top = open.pop();
      const kind = tag.slice(1).trim();
      if (!top) throw invalidTemplate(`{{${tag}}} on line ${line} closes nothing`);
      if (top.kind !== kind)
        throw invalidTemplate(
          `{{${tag}}} on line ${line} closes {{#${top.kind}}} from line ${top.line}`,
        );
      continue;
    }

    if (isBlockTag) {
      const top = open[open.length - 1];
      if (top?.kind !== "if" || top.inElse)
        throw invalidTemplate(`{{else}} on line ${line} is not inside {{#if}}`);
      top.inElse = true;
      continue;
    }

    const [first = "", second, ...extra] = words;
    if (
      second !== undefined &&
      !raw &&
      HELPERS.has(first) &&
      PATH.test(second) &&
      extra.length === 0
    ) {
      target().push({
        kind: "helper",
        name: first as HelperName,
        path: second.split("."),
        source: match[0],
      });
    } else if (second === undefined && PATH.test(first)) {
      target().push({ kind: "value", path: first.split("."), raw, source: match[0] });
    } else {
      const reason =
        HELPERS.has(first) || second === undefined
          ? "is not a placeholder"
          : `uses an unknown helper "${first}"`;
      target().push({ kind: "invalid", source: match[0], reason });
    }
  }

  pushText(source.slice(cursor));
  const unclosed = open.pop();
  if (unclosed)
    throw invalidTemplate(`{{#${unclosed.kind}}} from line ${unclosed.line} is never closed`);
  return root;
}
