/** The OCR service: turns a document's bytes into text, page by page, with the stage's engine. */

import type { Config } from "@crpipeline/config";
import type { Logger } from "@crpipeline/log";
import type { OcrStage } from "@crpipeline/pipeline";
import type { Metrics } from "@crpipeline/telemetry";
import { DEFAULT_LIMITS, type OcrLimits, type PageImage, selectEngine } from "./engines.ts";
import { unreadableDocument, unsupportedContentType } from "./errors.ts";
import { openImage } from "./images.ts";
import { createLimiter } from "./limiter.ts";
import { forEachPage } from "./pages.ts";
import { openPdf } from "./pdf.ts";
import { createTesseractJsPool } from "./tesseract-js-pool.ts";

export type PageSource = "text-layer" | "ocr";

export interface OcrPage {
  number: number;
  text: string;
  source: PageSource;
}

export interface OcrResult {
  text: string;
  pages: OcrPage[];
}

export interface ExtractInput {
  bytes: Uint8Array;
  contentType: string;
  stage: OcrStage;
  /** The resolved secret named by `stage.apiKeyRef`, sent as a bearer token. */
  externalApiKey?: string;
  signal?: AbortSignal;
  onProgress?: (pagesDone: number, pagesTotal: number) => void;
}

export interface OcrService {
  extract(input: ExtractInput): Promise<OcrResult>;
  /** tesseract.js workers started so far and alive now: started stays put while they are reused. */
  stats(): { workersStarted: number; workersAlive: number };
  close(): Promise<void>;
}

export interface OcrServiceDeps {
  config: Pick<Config, "ocrConcurrency">;
  metrics: Metrics;
  logger: Logger;
  /** Time bounds and retry policy; the defaults suit production, tests shorten them. */
  limits?: Partial<OcrLimits>;
}

/** A page whose text layer has fewer visible characters than this is treated as a scan. */
const MIN_TEXT_LAYER_CHARS = 16;

const TEXT_TYPES = new Set(["text/plain", "text/markdown"]);
const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/tiff"]);

/** `Image/JPG; charset=…` → `image/jpeg`: parameters and case carry no meaning here. */
function baseType(contentType: string): string {
  const type = (contentType.split(";")[0] ?? "").trim().toLowerCase();
  return type === "image/jpg" ? "image/jpeg" : type;
}

const tidy = (text: string) => text.replace(/\r\n?/g, "\n").trim();

function decodeText(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw unreadableDocument("Text is not valid UTF-8");
  }
}

export function createOcrService(deps: OcrServiceDeps): OcrService {
  const { config, metrics } = deps;
  const logger = deps.logger.child("ocr");
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const concurrency = config.ocrConcurrency;
  const pool = createTesseractJsPool({
    size: concurrency,
    startTimeoutMs: limits.workerStartMs,
    pageTimeoutMs: limits.pageMs,
    logger,
  });
  const limiter = createLimiter(concurrency);

  async function extract(input: ExtractInput): Promise<OcrResult> {
    const { bytes, stage, signal, onProgress } = input;
    signal?.throwIfAborted();
    const type = baseType(input.contentType);
    if (!TEXT_TYPES.has(type) && type !== "application/pdf" && !IMAGE_TYPES.has(type)) {
      throw unsupportedContentType(input.contentType);
    }
    if (bytes.byteLength === 0) throw unreadableDocument("Document is empty");

    if (TEXT_TYPES.has(type)) {
      const text = tidy(decodeText(bytes));
      onProgress?.(1, 1);
      return { text, pages: [{ number: 1, text, source: "text-layer" }] };
    }

    const engine = selectEngine({
      stage,
      pool,
      limiter,
      limits,
      externalApiKey: input.externalApiKey,
      signal,
      onFailedAttempt: (error) => {
        metrics.aiOcrError("ocr");
        logger.warn({ engine: stage.engine, code: error.code, error }, "OCR attempt failed");
      },
    });

    const ocr = async (image: PageImage, number: number): Promise<OcrPage> => {
      // Every call is timed, failed ones too: a slow, failing engine shows on the OCR panel.
      const begun = performance.now();
      try {
        return { number, text: tidy(await engine(image, number)), source: "ocr" };
      } finally {
        metrics.ocrCall(stage.engine, (performance.now() - begun) / 1000);
      }
    };
    const loop = { concurrency, signal, onProgress };

    let pages: OcrPage[];
    if (type === "application/pdf") {
      const pdf = await openPdf(bytes);
      try {
        pages = await forEachPage({ ...loop, total: pdf.pageCount }, async (number) => {
          const layer = await pdf.text(number);
          if (layer.replace(/\s/g, "").length >= MIN_TEXT_LAYER_CHARS) {
            return { number, text: tidy(layer), source: "text-layer" };
          }
          return ocr({ png: await pdf.render(number, stage.dpi) }, number);
        });
      } finally {
        await pdf.close();
      }
    } else {
      const image = await openImage(bytes, type);
      pages = await forEachPage({ ...loop, total: image.pageCount }, async (number) =>
        ocr(await image.page(number), number),
      );
    }
    return { text: pages.map((page) => page.text).join("\n\n"), pages };
  }

  return {
    extract,
    stats: () => ({ workersStarted: pool.started(), workersAlive: pool.alive() }),
    close: () => pool.close(),
  };
}
