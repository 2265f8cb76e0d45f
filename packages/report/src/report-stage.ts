/** The `report` stage: template to Markdown to PDF, and a JSON summary stored next to it. */

import type { ReportStage } from "@crpipeline/pipeline";
import { defaultTitle, type ReportContext } from "./context.ts";
import { renderPdfDocument } from "./pdf/render-pdf.ts";
import { renderReportMarkdown } from "./render-markdown.ts";
import { isRecord } from "./template/markdown-text.ts";

export interface ReportSummary {
  title: string;
  /** Pages of the PDF. */
  pages: number;
  documentName: string;
  stageCount: number;
  /** Per keyword of the parse stage, how often it occurred. */
  keywords?: Record<string, number>;
  /** Per named regex of the parse stage, how many values it matched. */
  matches?: Record<string, number>;
  tableRows?: number;
  aiUsed: boolean;
  warnings: string[];
}

export interface ReportResult {
  /** Stored as the stage output `report.pdf`. */
  pdf: Uint8Array;
  /** Stored as the stage output `summary.json`. */
  summary: ReportSummary;
}

/** Reads the parse output's shape (`@crpipeline/parse` ParseResult) without trusting it. */
function parseFigures(parsed: unknown): Pick<ReportSummary, "keywords" | "matches" | "tableRows"> {
  if (!isRecord(parsed)) return {};
  const figures: Pick<ReportSummary, "keywords" | "matches" | "tableRows"> = {};

  if (isRecord(parsed.keywords)) {
    figures.keywords = {};
    for (const [keyword, hits] of Object.entries(parsed.keywords)) {
      const count = typeof hits === "number" ? hits : isRecord(hits) ? hits.count : undefined;
      if (typeof count === "number") figures.keywords[keyword] = count;
    }
  }
  if (isRecord(parsed.regex)) {
    figures.matches = {};
    for (const [name, values] of Object.entries(parsed.regex)) {
      if (Array.isArray(values)) figures.matches[name] = values.length;
    }
  }
  if (isRecord(parsed.table) && Array.isArray(parsed.table.rows)) {
    figures.tableRows = parsed.table.rows.length;
  }
  return figures;
}

export async function runReportStage(input: {
  stage: ReportStage;
  context: ReportContext;
}): Promise<ReportResult> {
  const { stage, context } = input;
  const title = stage.title ?? defaultTitle(context);

  const { markdown, warnings } = renderReportMarkdown(stage.template, context, { title });
  const rendered = await renderPdfDocument(markdown, { title, date: context.date });
  if (rendered.replacedCharacters > 0) {
    warnings.push(
      `${rendered.replacedCharacters} characters have no glyph in the PDF's standard fonts ` +
        'and are shown as "?"',
    );
  }

  return {
    pdf: rendered.pdf,
    summary: {
      title,
      pages: rendered.pageCount,
      documentName: context.document.name,
      stageCount: context.pipeline.stageCount,
      ...parseFigures(context.parsed),
      aiUsed: context.ai !== undefined,
      warnings,
    },
  };
}
