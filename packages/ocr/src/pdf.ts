/** Reads PDFs page by page with pdf.js: the text layer directly, or a rendered image for OCR. */

import { dirname, join } from "node:path";
import { createCanvas } from "@napi-rs/canvas";
// The legacy build runs on runtimes without the newest web APIs; the modern build assumes them.
import {
  getDocument,
  type PDFDocumentLoadingTask,
  type PDFDocumentProxy,
} from "pdfjs-dist/legacy/build/pdf.mjs";
import { errorMessage, unreadableDocument } from "./errors.ts";

export interface PdfReader {
  pageCount: number;
  /** The page's text layer, lines separated by newlines ("" when the page has none). */
  text(pageNumber: number): Promise<string>;
  /**
   * The page rendered to a PNG at `dpi` (lowered if the page would exceed the pixel cap); the
   * PNG records its resolution, which tesseract uses to size its text-line model.
   */
  render(pageNumber: number, dpi: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

// pdf.js reads its font, colour-profile and decoder files from disk when given directories.
const PDFJS_DIR = dirname(Bun.resolveSync("pdfjs-dist/package.json", import.meta.dir));
const RESOURCES = {
  standardFontDataUrl: `${join(PDFJS_DIR, "standard_fonts")}/`,
  cMapUrl: `${join(PDFJS_DIR, "cmaps")}/`,
  iccUrl: `${join(PDFJS_DIR, "iccs")}/`,
  wasmUrl: `${join(PDFJS_DIR, "wasm")}/`,
};

/** A4 at 600 dpi is about 35 million pixels; a poster-sized page must not allocate gigabytes. */
const MAX_PAGE_PIXELS = 40_000_000;

const POINTS_PER_INCH = 72;
const PNG_FILTER_NONE = 0x08;

function describe(error: unknown): string {
  const name = error instanceof Error ? error.name : "";
  if (name === "PasswordException") return "PDF is password-protected";
  return `PDF is damaged: ${errorMessage(error)}`;
}

/** Runs a pdf.js step; whatever it throws means the file cannot be read as a PDF. */
async function guarded<T>(step: () => Promise<T>, where = ""): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw unreadableDocument(`${describe(error)}${where}`, error);
  }
}

export async function openPdf(bytes: Uint8Array): Promise<PdfReader> {
  // pdf.js may transfer (detach) the buffer it is given; the caller keeps its own bytes.
  const task: PDFDocumentLoadingTask = getDocument({
    ...RESOURCES,
    data: bytes.slice(),
    useSystemFonts: false,
    verbosity: 0,
  });
  const document: PDFDocumentProxy = await guarded(async () => {
    try {
      return await task.promise;
    } catch (error) {
      await task.destroy();
      throw error;
    }
  });
  if (document.numPages < 1) {
    await task.destroy();
    throw unreadableDocument("PDF has no pages");
  }

  const page = (number: number) => guarded(() => document.getPage(number), ` (page ${number})`);

  async function text(number: number): Promise<string> {
    const proxy = await page(number);
    const content = await guarded(() => proxy.getTextContent(), ` (page ${number})`);
    let out = "";
    for (const item of content.items) {
      if ("str" in item) out += item.str + (item.hasEOL ? "\n" : "");
    }
    return out;
  }

  async function render(number: number, dpi: number) {
    const proxy = await page(number);
    const size = proxy.getViewport({ scale: 1 });
    const wanted = dpi / POINTS_PER_INCH;
    const fit = Math.sqrt(MAX_PAGE_PIXELS / (size.width * size.height));
    const scale = Math.min(wanted, fit);
    const viewport = proxy.getViewport({ scale });

    const canvas = createCanvas(Math.ceil(viewport.width), Math.ceil(viewport.height));
    await guarded(
      () => proxy.render({ canvas, viewport }).promise,
      ` (page ${number} cannot be rendered)`,
    );
    proxy.cleanup();
    // Fast zlib and no row filters: a tenth of the default encode time, for a page that is
    // decoded once, in memory, a moment later.
    const png = await canvas.encode("png", {
      compressionLevel: 1,
      filters: PNG_FILTER_NONE,
      resolution: scale * POINTS_PER_INCH,
    });
    return new Uint8Array(png);
  }

  return { pageCount: document.numPages, text, render, close: () => task.destroy() };
}
