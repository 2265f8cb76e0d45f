/** Decodes uploaded images (PNG, JPEG, multi-page TIFF) into one clean PNG per page for OCR. */

import sharp from "sharp";
import { errorMessage, unreadableDocument } from "./errors.ts";

export interface ImageReader {
  pageCount: number;
  /** Page `number` (1-based), upright, as PNG; the file's resolution, if any, is kept in it. */
  page(number: number): Promise<{ png: Uint8Array }>;
}

const FORMAT_OF: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/tiff": "tiff",
};

// Decompression bombs: a 50 MiB upload can claim billions of pixels.
const LIMIT_INPUT_PIXELS = 100_000_000;

export async function openImage(bytes: Uint8Array, contentType: string): Promise<ImageReader> {
  const expected = FORMAT_OF[contentType];
  const metadata = await sharp(bytes, { limitInputPixels: LIMIT_INPUT_PIXELS })
    .metadata()
    .catch((error: unknown) => {
      throw unreadableDocument(`Image is damaged or not an image: ${errorMessage(error)}`, error);
    });
  // sharp also reads SVG, GIF, WebP…: only the formats uploads are accepted as reach OCR.
  if (metadata.format !== expected) {
    throw unreadableDocument(`File is ${metadata.format}, not the ${contentType} it claims to be`);
  }

  async function page(number: number) {
    try {
      const png = await sharp(bytes, { page: number - 1, limitInputPixels: LIMIT_INPUT_PIXELS })
        .rotate() // honour EXIF orientation: phones store photos sideways
        .grayscale()
        .png({ compressionLevel: 1 })
        .toBuffer();
      return { png: new Uint8Array(png) };
    } catch (error) {
      throw unreadableDocument(`Image is damaged: ${errorMessage(error)}`, error);
    }
  }

  return { pageCount: metadata.pages ?? 1, page };
}
