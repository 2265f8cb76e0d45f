/** Decides a document's type from its first bytes, never from the name the client sent. */

import { AppError } from "@crpipeline/errors";

export const DOCUMENT_TYPES = [
  "application/pdf",
  "image/png",
  "image/jpeg",
  "image/tiff",
  "text/plain",
  "text/markdown",
] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

/** How many leading bytes `sniffType` wants to see. */
export const SNIFF_BYTES = 4096;

const startsWith = (bytes: Uint8Array, signature: number[]) =>
  signature.every((byte, i) => bytes[i] === byte);

function looksLikeText(bytes: Uint8Array): boolean {
  if (bytes.includes(0)) return false;
  // A multi-byte character may be cut at the end of the sample: ignore an incomplete tail.
  const decoded = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  const replacement = decoded.slice(0, -3).includes("\uFFFD");
  if (replacement) return false;
  let control = 0;
  for (const char of decoded) {
    const code = char.charCodeAt(0);
    if (code < 32 && code !== 9 && code !== 10 && code !== 13 && code !== 12) control++;
  }
  return control <= decoded.length / 100;
}

const BINARY_EXTENSIONS: Record<string, DocumentType> = {
  pdf: "application/pdf",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  tif: "image/tiff",
  tiff: "image/tiff",
};

/**
 * The document type of `head` (the first bytes of the upload). The name only separates
 * Markdown from plain text, and a name that promises a binary type the content does not have
 * is refused rather than silently stored as something else.
 */
export function sniffType(head: Uint8Array, filename: string): DocumentType {
  const extension = filename.toLowerCase().split(".").pop() ?? "";
  let detected: DocumentType | undefined;
  if (startsWith(head, [0x25, 0x50, 0x44, 0x46, 0x2d])) detected = "application/pdf";
  else if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    detected = "image/png";
  else if (startsWith(head, [0xff, 0xd8, 0xff])) detected = "image/jpeg";
  else if (
    startsWith(head, [0x49, 0x49, 0x2a, 0x00]) ||
    startsWith(head, [0x4d, 0x4d, 0x00, 0x2a])
  ) {
    detected = "image/tiff";
  } else if (looksLikeText(head)) {
    detected = extension === "md" || extension === "markdown" ? "text/markdown" : "text/plain";
  }

  if (!detected) {
    throw new AppError(
      "unsupported_type",
      "Unsupported file type: upload a PDF, PNG, JPEG, TIFF, plain text or Markdown file",
      415,
    );
  }
  const promised = BINARY_EXTENSIONS[extension];
  if (promised && promised !== detected) {
    throw new AppError(
      "type_mismatch",
      `The file is named .${extension} but its content is ${detected}, not ${promised}`,
      415,
    );
  }
  return detected;
}
