/** Report stage: a Markdown template filled from a job's outputs, rendered to PDF with a summary. */

export {
  type PdfOptions,
  type RenderedPdf,
  renderPdf,
  renderPdfDocument,
} from "./pdf/render-pdf.ts";
