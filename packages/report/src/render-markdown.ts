/** A report's Markdown: the stage's template (or the default one) filled from the job's outputs. */

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
  const note = `\n\n---\n\n*[The report was cut here: ${omitted} more characters of Markdown were not rendered. The stage outputs hold the complete data.]*\n`;
  const fence = unclosedFence(kept);
  return { markdown: `${kept}${fence ? `\n${fence}` : ""}${note}`, warnings };
}
