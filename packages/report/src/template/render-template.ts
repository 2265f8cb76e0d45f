/**
 * Fills a parsed template from a scope of values, in one pass: inserted text is never re-read as
 * template.
 */

import {
  escapeMarkdown,
  formatValue,
  isRecord,
  MAX_HELPER_ITEMS,
  markdownJson,
  markdownList,
  markdownTable,
} from "./markdown-text.ts";
import type { Path, TemplateNode } from "./parse-template.ts";

/** Characters one placeholder may insert; longer values are cut with a note. */
export const MAX_VALUE_CHARS = 250_000;

export interface RenderLimits {
  maxValueChars: number;
}

interface Item {
  value: unknown;
  key: string | number;
}

type Lookup = { found: true; value: unknown } | { found: false; unknownRoot: boolean };

function child(value: unknown, key: string): unknown {
  if (Array.isArray(value) || typeof value === "string") {
    if (key === "length") return value.length;
    return /^\d+$/.test(key) ? value[Number(key)] : undefined;
  }
  // Own properties only: `constructor` or `__proto__` must not reach into the runtime.
  if (isRecord(value) && Object.hasOwn(value, key)) return value[key];
  return undefined;
}

export function renderTemplate(
  nodes: readonly TemplateNode[],
  scope: Record<string, unknown>,
  limits: RenderLimits = { maxValueChars: MAX_VALUE_CHARS },
): { markdown: string; warnings: string[] } {
  const warnings = new Set<string>();
  const out: string[] = [];
  const items: Item[] = [];

  const lookup = (path: Path): Lookup => {
    const [root = "", ...rest] = path;
    const item = items[items.length - 1];
    let value: unknown;
    if (root === "this" || root === "@key") {
      if (!item) return { found: false, unknownRoot: true };
      value = root === "this" ? item.value : item.key;
    } else if (Object.hasOwn(scope, root)) {
      value = scope[root];
    } else {
      return { found: false, unknownRoot: true };
    }
    for (const key of rest) value = child(value, key);
    return value === undefined || value === null
      ? { found: false, unknownRoot: false }
      : { found: true, value };
  };

  /** The value behind a placeholder, or a warning saying why there is none. */
  const resolve = (path: Path, source: string): unknown => {
    const result = lookup(path);
    if (result.found) return result.value;
    warnings.add(
      result.unknownRoot ? `Unknown placeholder ${source}` : `Placeholder ${source} has no value`,
    );
    return undefined;
  };

  /** The text to insert and, when it had to be cut, a Markdown note saying so. */
  const cut = (text: string, source: string): [string, string] => {
    if (text.length <= limits.maxValueChars) return [text, ""];
    warnings.add(`${source} was cut to ${limits.maxValueChars} characters`);
    const more = text.length - limits.maxValueChars;
    const note = `\n\n*[… ${more} more characters not shown; the stage outputs hold them all.]*\n`;
    return [text.slice(0, limits.maxValueChars), note];
  };

  const truthy = (path: Path): boolean => {
    const result = lookup(path);
    if (!result.found) return false;
    const { value } = result;
    if (Array.isArray(value) || typeof value === "string") return value.length > 0;
    if (isRecord(value)) return Object.keys(value).length > 0;
    return value !== false && value !== 0;
  };

  const render = (list: readonly TemplateNode[]): void => {
    for (const node of list) {
      switch (node.kind) {
        case "text":
          out.push(node.text);
          break;
        case "invalid":
          warnings.add(`${node.source} ${node.reason}`);
          break;
        case "value": {
          const [text, note] = cut(formatValue(resolve(node.path, node.source)), node.source);
          // Raw values are Markdown on purpose (e.g. an AI answer); the rest is shown literally.
          out.push(node.raw ? text : escapeMarkdown(text), note);
          break;
        }
        case "helper": {
          const value = resolve(node.path, node.source);
          if (value === undefined) break;
          const markdown =
            node.name === "list"
              ? markdownList(value)
              : node.name === "json"
                ? markdownJson(value)
                : markdownTable(value);
          if (markdown === undefined) warnings.add(`${node.source} needs a list or an object`);
          else out.push(...cut(markdown, node.source));
          break;
        }
        case "if":
          render(truthy(node.path) ? node.whenTrue : node.whenFalse);
          break;
        case "each": {
          const value = resolve(node.path, node.source);
          const entries: Item[] = Array.isArray(value)
            ? value.map((item, key) => ({ value: item, key }))
            : isRecord(value)
              ? Object.entries(value).map(([key, item]) => ({ value: item, key }))
              : [];
          if (entries.length > MAX_HELPER_ITEMS)
            warnings.add(
              `${node.source} showed the first ${MAX_HELPER_ITEMS} of ${entries.length} items`,
            );
          for (const entry of entries.slice(0, MAX_HELPER_ITEMS)) {
            items.push(entry);
            render(node.body);
            items.pop();
          }
          break;
        }
      }
    }
  };

  render(nodes);
  return { markdown: out.join(""), warnings: [...warnings] };
}
