// OCR benchmark: tesseract.js through the service against the native CLI, plus pdf.js page rates.
// Run alone with `bun packages/ocr/bench/ocr.bench.ts`; the root `bun run bench` imports it.

import { cpus } from "node:os";
import { join } from "node:path";
import { silentLogger } from "@crpipeline/log";
import type { OcrStage } from "@crpipeline/pipeline";
import { createTestTelemetry } from "@crpipeline/telemetry";
import sharp from "sharp";
import { cer } from "../src/cer.ts";
import { openPdf } from "../src/pdf.ts";
import { createOcrService } from "../src/service.ts";

const FIXTURES = join(import.meta.dir, "..", "fixtures");
const DPI = 200;

export interface OcrBenchOptions {
  /** Timed OCR passes over the image set per engine, after one warm-up pass. */
  ocrRounds?: number;
  /** Timed passes over each PDF for the page-rate numbers. */
  pdfRounds?: number;
}

export interface EngineNumbers {
  secondsPerPage: number;
  /** Mean character error rate over the image set against the ground truth. */
  cer: number;
}

export interface OcrBenchResult {
  machine: { cpu: string; cores: number; runtime: string };
  images: { name: string; width: number; height: number }[];
  tesseractJs: EngineNumbers;
  nativeTesseract: EngineNumbers | { skipped: string };
  pdf: { textLayerPagesPerSecond: number; rasterisePagesPerSecond: number; dpi: number };
}

interface BenchImage {
  name: string;
  png: Uint8Array;
  truth: string;
}

/** The image set: the photo-like invoice and both A4 scans rendered from the scanned PDF. */
async function images(): Promise<BenchImage[]> {
  const truth = await Bun.file(join(FIXTURES, "ground-truth.txt")).text();
  const [pageOne = "", pageTwo = ""] = truth.split(/\n\s*\n/);
  const pdf = await openPdf(await Bun.file(join(FIXTURES, "scanned.pdf")).bytes());
  try {
    return [
      { name: "invoice.png", png: await Bun.file(join(FIXTURES, "invoice.png")).bytes(), truth },
      { name: "scanned.pdf#1", png: await pdf.render(1, DPI), truth: pageOne },
      { name: "scanned.pdf#2", png: await pdf.render(2, DPI), truth: pageTwo },
    ];
  } finally {
    await pdf.close();
  }
}

/** Warm-up pass, then `rounds` timed passes; returns seconds per page and mean CER. */
async function measure(
  set: BenchImage[],
  rounds: number,
  recognise: (png: Uint8Array) => Promise<string>,
): Promise<EngineNumbers> {
  let errorRate = 0;
  for (const image of set) errorRate += cer(image.truth, await recognise(image.png));

  const begun = performance.now();
  for (let round = 0; round < rounds; round++) {
    for (const image of set) await recognise(image.png);
  }
  const seconds = (performance.now() - begun) / 1000;
  return { secondsPerPage: seconds / (rounds * set.length), cer: errorRate / set.length };
}

async function nativeTesseract(png: Uint8Array): Promise<string> {
  const child = Bun.spawn(["tesseract", "stdin", "stdout", "-l", "eng"], {
    stdin: new Blob([png]),
    stdout: "pipe",
    stderr: "ignore",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", OMP_THREAD_LIMIT: "1" },
  });
  const [text, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  if (code !== 0) throw new Error(`tesseract exited with ${code}`);
  return text;
}

async function pagesPerSecond(file: string, rounds: number, perPage: typeof readText) {
  const bytes = await Bun.file(join(FIXTURES, file)).bytes();
  let pages = 0;
  const begun = performance.now();
  for (let round = 0; round < rounds; round++) {
    const pdf = await openPdf(bytes);
    for (let number = 1; number <= pdf.pageCount; number++) await perPage(pdf, number);
    pages += pdf.pageCount;
    await pdf.close();
  }
  return pages / ((performance.now() - begun) / 1000);
}

type Pdf = Awaited<ReturnType<typeof openPdf>>;
const readText = (pdf: Pdf, number: number): Promise<unknown> => pdf.text(number);
const rasterise = (pdf: Pdf, number: number): Promise<unknown> => pdf.render(number, DPI);

export async function runOcrBench(options: OcrBenchOptions = {}): Promise<OcrBenchResult> {
  const ocrRounds = options.ocrRounds ?? 3;
  const pdfRounds = options.pdfRounds ?? 20;
  const set = await images();

  // One worker: seconds per page of a single warm engine, like the one-thread native run.
  const service = createOcrService({
    config: { ocrConcurrency: 1 },
    metrics: createTestTelemetry().metrics,
    logger: silentLogger,
  });
  const stage: OcrStage = { type: "ocr", engine: "tesseract.js", languages: ["eng"], dpi: DPI };
  let tesseractJs: EngineNumbers;
  try {
    tesseractJs = await measure(set, ocrRounds, async (png) => {
      const result = await service.extract({ bytes: png, contentType: "image/png", stage });
      return result.text;
    });
  } finally {
    await service.close();
  }

  const native = Bun.which("tesseract")
    ? await measure(set, ocrRounds, nativeTesseract)
    : { skipped: "tesseract not on PATH" };

  const sizes = await Promise.all(
    set.map(async (image) => {
      const { width = 0, height = 0 } = await sharp(image.png).metadata();
      return { name: image.name, width, height };
    }),
  );

  return {
    machine: {
      cpu: cpus()[0]?.model ?? "unknown",
      cores: cpus().length,
      runtime: `bun ${Bun.version}`,
    },
    images: sizes,
    tesseractJs,
    nativeTesseract: native,
    pdf: {
      textLayerPagesPerSecond: await pagesPerSecond("text-layer.pdf", pdfRounds * 5, readText),
      rasterisePagesPerSecond: await pagesPerSecond("scanned.pdf", pdfRounds, rasterise),
      dpi: DPI,
    },
  };
}

if (import.meta.main) console.log(JSON.stringify(await runOcrBench(), null, 2));
