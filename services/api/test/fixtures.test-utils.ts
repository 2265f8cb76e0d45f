/** Fixtures: a valid pipeline, small real files of each kind the API accepts, some it refuses. */

import { deflateSync } from "node:zlib";

/** A valid 1×1 grey PNG (signature, IHDR, zlib IDAT, IEND). */
export function tinyPng(): Uint8Array {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Uint8Array) => {
    let c = 0xffffffff;
    for (const byte of bytes) c = (crcTable[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, data.length);
    out.set(new TextEncoder().encode(type), 4);
    out.set(data, 8);
    view.setUint32(8 + data.length, crc(out.subarray(4, 8 + data.length)));
    return out;
  };
  const ihdr = new Uint8Array([0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
  const zlib = new Uint8Array(deflateSync(new Uint8Array([0, 255])));
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlib),
    chunk("IEND", new Uint8Array()),
  ];
  return new Uint8Array(Buffer.concat(parts));
}

/** A one-page PDF with a text layer. */
export const tinyPdf = (text = "Hello PDF") =>
  new TextEncoder().encode(
    `%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n` +
      `2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n` +
      `3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]>> endobj\n` +
      `% ${text}\ntrailer <</Root 1 0 R>>\n%%EOF\n`,
  );

/** Random bytes that start like no supported type (a ZIP header, then noise with NULs). */
export function zipLikeBinary(size = 2048): Uint8Array {
  const bytes = crypto.getRandomValues(new Uint8Array(size));
  bytes.set([0x50, 0x4b, 0x03, 0x04, 0, 0]);
  return bytes;
}

/** A valid two-stage pipeline (no worker runs in these tests, so it never executes). */
export const OCR_PIPELINE = {
  name: "ocr then parse",
  description: "reads text, finds totals",
  stages: [
    { type: "ocr", languages: ["eng"] },
    { type: "parse", keywords: ["total"] },
  ],
};
