/** Renders the configuration table the README shows, from the schema itself. */

import { type Setting, settings } from "./schema.ts";

function defaultText(s: Setting<unknown>): string {
  if (s.defaultDoc) return s.defaultDoc;
  if (s.default === undefined) return "unset";
  if (Array.isArray(s.default)) return s.default.join(",");
  return `\`${String(s.default)}\``;
}

export function configMarkdownTable(): string {
  const rows = (Object.values(settings) as Setting<unknown>[]).map(
    (s) => `| \`${s.env}\` | ${defaultText(s)} | ${s.doc} |`,
  );
  return ["| variable | default | meaning |", "|---|---|---|", ...rows].join("\n");
}
