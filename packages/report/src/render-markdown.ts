/** A report's Markdown: the stage's template (or the default one) filled from the job's outputs. */

/*
 * The template language, kept small on purpose (no expressions, no code, no partials):
 *
 *   {{path}}        a value shown as plain text: Markdown characters in it are escaped, its line
 *                   breaks kept. Paths are dotted: {{parsed.regex.invoice.0}}, {{ai.json.total}},
 *                   {{parsed.lines.length}}. Names: title, document.{name,contentType}, job.id,
 *                   pipeline.{name,stageCount}, date, text (OCR text), pages (page count),
 *                   ocr.pages, parsed.<…> (parse output), ai.content, ai.json.<…>.
 *   {{{path}}}      the value inserted as Markdown (e.g. an AI answer written in Markdown; also
 *                   for text inside a fenced code block, where escapes would show).
 *   {{table path}}  a Markdown table from { headers, rows }, an array of rows or objects, or an
 *                   object (one row per key). {{list path}}: a bullet list. {{json path}}: a
 *                   fenced JSON block.
 *   {{#each path}}…{{/each}}          repeats for each item of a list or entry of an object;
 *                                     inside, {{this}}, {{this.field}} and {{@key}}.
 *   {{#if path}}…{{else}}…{{/if}}     the first part when the value is present and not empty.
 *   {{! comment}}   left out.
 *
 * A block tag alone on its line removes the whole line, so rows made by {{#each}} stay one
 * table. Inserted values are never read as template again. Unknown names and missing values
 * render empty and come back as warnings; blocks that do not nest are a 400 error. A line
 * `\pagebreak` (or `<!-- pagebreak -->`) starts a new PDF page.
 */

import { defaultTitle, type ReportContext, templateScope } from "./context.ts";
import { DEFAULT_TEMPLATE } from "./default-template.ts";
import { parseTemplate } from "./template/parse-template.ts";
import { MAX_VALUE_CHARS, renderTemplate } from "./template/render-template.ts";

/** Markdown handed to the PDF renderer at most (about 250 pages); the rest is cut with a note. */
export const MAX_REPORT_CHARS = 750_000;

export interface RenderedMarkdown {
  markdown: string;
  /** Placeholders without a value, unknown names, cut values: shown in the stage summary. */
  warnings: string[];
}

export interface MarkdownOptions {
  title?: string;
  maxValueChars?: number;
  maxReportChars?: number;
}

/** The fence of a code block still open at the end of `markdown`, to close it after a cut. */
function unclosedFence(markdown: string): string | undefined {
  let fence: string | undefined;
  for (const line of markdown.split("\n")) {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (!marker) continue;
    if (!fence) fence = marker;
    else if (marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker)
      fence = undefined;
  }
  return fence;
}

/** Throws a 400 `invalid_report_template` when the template's blocks do not nest. */
export function renderReportMarkdown(
  template: string | undefined,
  context: ReportContext,
  options: MarkdownOptions = {},
): RenderedMarkdown {
  const nodes = parseTemplate(template ?? DEFAULT_TEMPLATE);
  const scope = templateScope(context, options.title ?? defaultTitle(context));
  const { markdown, warnings } = renderTemplate(nodes, scope, {
    maxValueChars: options.maxValueChars ?? MAX_VALUE_CHARS,
  });

  const limit = options.maxReportChars ?? MAX_REPORT_CHARS;
  if (markdown.length <= limit) return { markdown, warnings };

  // Cut at a line end so no Markdown line is left half written.
  const end = Math.max(markdown.lastIndexOf("\n", limit), Math.floor(limit / 2));
  const omitted = markdown.length - end;
  const kept = markdown.slice(0, end);
  warnings.push(`The report was cut to ${end} characters of Markdown`);
  const note =
    `\n\n---\n\n*[The report was cut here: ${omitted} more characters of Markdown were not ` +
    "rendered. The stage outputs hold the complete data.]*\n";
  const fence = unclosedFence(kept);
  return { markdown: `${kept}${fence ? `\n${fence}` : ""}${note}`, warnings };
}
