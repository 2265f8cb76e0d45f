/** What a report is made from: the job, its document and the outputs of the stages before it. */

export interface OcrPage {
  number: number;
  text: string;
  /** `text-layer` or `ocr`. */
  source?: string;
}

export interface ReportContext {
  document: { id?: string; name: string; contentType: string; size?: number };
  job: { id: string };
  pipeline: { name: string; stageCount: number };
  /** When the report is made; defaults to now. */
  date?: Date;
  /** The OCR stage output `{ text, pages }`. */
  ocr?: { text: string; pages: OcrPage[] };
  /** The parse stage output (keywords, regex, table, lines, notes). */
  parsed?: unknown;
  /** The AI stage output: the answer, and its parsed JSON when the stage asked for JSON. */
  ai?: { content: string; json?: unknown; model?: string };
}

export function defaultTitle(context: ReportContext): string {
  return `Report: ${context.document.name}`;
}

/** "2025-03-04 09:05 UTC": readable, and the same whichever time zone the worker runs in. */
export function formatReportDate(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** The names a template can use; `this` and `@key` come from `{{#each}}`. */
export function templateScope(context: ReportContext, title: string): Record<string, unknown> {
  return {
    title,
    document: context.document,
    job: context.job,
    pipeline: context.pipeline,
    date: formatReportDate(context.date ?? new Date()),
    text: context.ocr?.text,
    pages: context.ocr?.pages.length,
    ocr: context.ocr,
    parsed: context.parsed,
    ai: context.ai,
  };
}
