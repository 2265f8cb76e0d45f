/**
 * Markdown to a paginated PDF with the standard fonts: metadata, page breaks, "Page n of m"
 * footers.
 */

import { Lexer } from "marked";
import PDFDocument from "pdfkit";
import { renderBlocks } from "./blocks.ts";
import { Flow } from "./flow.ts";
import { theme } from "./theme.ts";
import { createTextSanitizer } from "./win-ansi.ts";

export interface PdfOptions {
  /** Document title: the PDF metadata and the footer. */
  title: string;
  /** Written as the PDF creation date; defaults to now. */
  date?: Date;
}

export interface RenderedPdf {
  pdf: Uint8Array;
  pageCount: number;
  /** Characters the standard fonts cannot draw, drawn as "?". */
  replacedCharacters: number;
}

const PAGE_BREAK_LINE = /^\s*(\\pagebreak|<!--\s*pagebreak\s*-->)\s*$/i;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/**
 * Turns `\pagebreak` lines into a comment block of their own, so that marked sees a separate
 * block even when the line touches a paragraph. Lines inside fenced code stay as they are.
 */
export function markPageBreaks(markdown: string): string {
  let fence: string | undefined;
  return markdown
    .split("\n")
    .map((line) => {
      const opener = FENCE.exec(line)?.[1];
      if (fence) {
        if (
          opener &&
          opener[0] === fence[0] &&
          opener.length >= fence.length &&
          line.trim() === opener
        )
          fence = undefined;
        return line;
      }
      if (opener) {
        fence = opener;
        return line;
      }
      return PAGE_BREAK_LINE.test(line) ? "\n<!-- pagebreak -->\n" : line;
    })
    .join("\n");
}

function drawFooters(flow: Flow, title: string): void {
  const { doc } = flow;
  const { size, offset } = theme.footer;
  const range = doc.bufferedPageRange();
  const left = theme.margin.left;
  const right = theme.page.width - theme.margin.right;
  const y = theme.page.height - theme.margin.bottom + offset;
  const label = flow.text.clean(title);

  for (let i = 0; i < range.count; i++) {
    doc.switchToPage(range.start + i);
    const pageLabel = `Page ${i + 1} of ${range.count}`;
    const pageWidth = flow.width(pageLabel, "Helvetica", size);

    let shown = label;
    const room = right - left - pageWidth - 24;
    while (shown.length > 1 && flow.width(shown, "Helvetica", size) > room)
      shown = `${shown.slice(0, -2)}…`;

    doc
      .save()
      .lineWidth(0.5)
      .strokeColor(theme.rule)
      .moveTo(left, y - 8)
      .lineTo(right, y - 8)
      .stroke()
      .restore();
    doc.font("Helvetica", size).fillColor(theme.muted);
    doc.text(shown, left, y, { lineBreak: false, baseline: "alphabetic" });
    doc.text(pageLabel, right - pageWidth, y, { lineBreak: false, baseline: "alphabetic" });
  }
}

export async function renderPdfDocument(
  markdown: string,
  options: PdfOptions,
): Promise<RenderedPdf> {
  const tokens = new Lexer({ gfm: true }).lex(markPageBreaks(markdown.replace(/\r\n?/g, "\n")));
  const doc = new PDFDocument({
    size: theme.page.size,
    margins: theme.margin,
    bufferPages: true,
    displayTitle: true,
    info: {
      Title: options.title,
      Producer: "crPipeline",
      Creator: "crPipeline",
      CreationDate: options.date ?? new Date(),
    },
  });
  const chunks: Uint8Array[] = [];
  doc.on("data", (chunk: Uint8Array) => chunks.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    doc.on("end", resolve);
    doc.on("error", reject);
  });

  const flow = new Flow(doc, createTextSanitizer());
  const content = {
    left: theme.margin.left,
    width: theme.page.width - theme.margin.left - theme.margin.right,
  };
  renderBlocks(flow, tokens, { ...content, listDepth: 0, color: theme.body.color });
  drawFooters(flow, options.title);
  const pageCount = doc.bufferedPageRange().count;
  doc.end();
  await ended;

  const joined = Buffer.concat(chunks);
  // A plain Uint8Array view: callers (and pdf.js) must not depend on Node's Buffer.
  const pdf = new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength);
  return { pdf, pageCount, replacedCharacters: flow.text.replaced };
}

/** The PDF bytes of a Markdown report. */
export async function renderPdf(markdown: string, options: PdfOptions): Promise<Uint8Array> {
  return (await renderPdfDocument(markdown, options)).pdf;
}
