/** Shared test helpers: the committed fixtures, their ground truth, stages and metric reads. */

import { join } from "node:path";
import type { OcrStage } from "@crpipeline/pipeline";
import { sampleValue, type Telemetry } from "@crpipeline/telemetry";

export const FIXTURES = join(import.meta.dir, "..", "fixtures");

export const fixture = (name: string) => Bun.file(join(FIXTURES, name)).bytes();

/** The whole ground truth and its two paragraphs, which are pages 1 and 2 of the PDFs and TIFF. */
export async function groundTruth(): Promise<{ whole: string; pages: [string, string] }> {
  const whole = await Bun.file(join(FIXTURES, "ground-truth.txt")).text();
  const [one = "", two = ""] = whole.split(/\n\s*\n/);
  return { whole, pages: [one, two] };
}

export const ocrStage = (overrides: Partial<OcrStage> = {}): OcrStage => ({
  type: "ocr",
  engine: "tesseract.js",
  languages: ["eng"],
  dpi: 200,
  ...overrides,
});

/** Reads one counter or histogram-count value from a test telemetry. */
export async function metricValue(
  telemetry: Telemetry,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  return sampleValue(await telemetry.scrape(), name, labels);
}

/** The rejection of `promise`, failing the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection, but the promise resolved");
}
