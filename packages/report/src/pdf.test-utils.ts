/** Reads a rendered PDF back with pdf.js: page count, text per page, metadata. */

import { dirname, join } from "node:path";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";

export interface ReadPdf {
  pageCount: number;
  /** Text of each page, whitespace collapsed to single spaces. */
  pages: string[];
  info: Record<string, unknown>;
}

const standardFontDataUrl = `${join(dirname(require.resolve("pdfjs-dist/package.json")), "standard_fonts")}/`;

export async function readPdf(bytes: Uint8Array): Promise<ReadPdf> {
  // pdf.js takes ownership of the buffer it is given, so it gets a copy.
  const task = getDocument({
    data: new Uint8Array(bytes),
    standardFontDataUrl,

    verbosity: 0,
  });
  const doc = await task.promise;
  try {
    const pages: string[] = [];
    for (let number = 1; number <= doc.numPages; number++) {
      const page = await doc.getPage(number);
      const content = await page.getTextContent();
      const text = content.items.map((item) => ("str" in item ? item.str : "")).join(" ");
      pages.push(text.replace(/\s+/g, " ").trim());
    }
    const { info } = await doc.getMetadata();
    return { pageCount: doc.numPages, pages, info: info as Record<string, unknown> };
  } finally {
    await task.destroy();
  }
}

/** Pages objects in the file itself, counted without pdf.js: `/Type /Page` but not `/Pages`. */
export function countPageObjects(bytes: Uint8Array): number {
  const text = new TextDecoder("latin1").decode(bytes);
  return text.match(/\/Type\s*\/Page(?![a-z])/g)?.length ?? 0;
}

/** 1-based number of the first page whose text contains `needle`, or 0. */
export function pageOf(pdf: ReadPdf, needle: string): number {
  return pdf.pages.findIndex((page) => page.includes(needle)) + 1;
}
