/**
 * Report stage: a Markdown template filled from a job's outputs, rendered to PDF with a summary.
 */

export {
  defaultTitle,
  formatReportDate,
  type OcrPage,
  type ReportContext,
} from "./context.ts";
export { DEFAULT_TEMPLATE } from "./default-template.ts";
export {
  type PdfOptions,
  type RenderedPdf,
  renderPdf,
  renderPdfDocument,
} from "./pdf/render-pdf.ts";
export {
  MAX_REPORT_CHARS,
  type MarkdownOptions,
  type RenderedMarkdown,
  renderReportMarkdown,
} from "./render-markdown.ts";
export { type ReportResult, type ReportSummary, runReportStage } from "./report-stage.ts";
export { parseTemplate } from "./template/parse-template.ts";
