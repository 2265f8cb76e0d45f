/**
 * Picks the OCR engine a stage asks for and gives every engine the same page-in, text-out shape.
 */

import { AppError, isAppError } from "@crpipeline/errors";
import type { OcrStage } from "@crpipeline/pipeline";
import { recognizeExternal } from "./external-ocr.ts";
import type { Limiter } from "./limiter.ts";
import { recognizeNative } from "./native-tesseract.ts";
import type { TesseractJsPool } from "./tesseract-js-pool.ts";

/** A page as PNG; its resolution, when known, is recorded in the PNG itself. */
export interface PageImage {
  png: Uint8Array;
}

export type RecognizePage = (image: PageImage, pageNumber: number) => Promise<string>;

export interface OcrLimits {
  /** Bound on a tesseract.js worker's start-up (language data load and initialisation). */
  workerStartMs: number;
  /** Bound on one page's recognition by tesseract.js or the native binary. */
  pageMs: number;
  /** Bound on one HTTP attempt against an external OCR service. */
  externalTimeoutMs: number;
  externalAttempts: number;
  externalBackoffMs: number;
}

export const DEFAULT_LIMITS: OcrLimits = {
  workerStartMs: 30_000,
  pageMs: 120_000,
  externalTimeoutMs: 60_000,
  externalAttempts: 4,
  externalBackoffMs: 500,
};

export interface EngineContext {
  stage: OcrStage;
  pool: TesseractJsPool;
  /** Bounds native processes and external requests across all documents in this process. */
  limiter: Limiter;
  limits: OcrLimits;
  externalApiKey?: string;
  signal?: AbortSignal;
  onFailedAttempt: (error: AppError) => void;
}

/** Runs an engine that makes one attempt per page, reporting its failure like a retried one. */
function singleAttempt(run: RecognizePage, onFailedAttempt: (error: AppError) => void) {
  return async (image: PageImage, pageNumber: number) => {
    try {
      return await run(image, pageNumber);
    } catch (error) {
      if (isAppError(error)) onFailedAttempt(error);
      throw error;
    }
  };
}

export function selectEngine(context: EngineContext): RecognizePage {
  const { stage, limits, signal, onFailedAttempt } = context;

  switch (stage.engine) {
    case "tesseract.js":
      return singleAttempt(
        (image) => context.pool.recognize(image.png, stage.languages),
        onFailedAttempt,
      );

    case "tesseract":
      return singleAttempt(
        (image) =>
          context.limiter.run(() =>
            recognizeNative({
              png: image.png,
              languages: stage.languages,
              timeoutMs: limits.pageMs,
              signal,
            }),
          ),
        onFailedAttempt,
      );

    case "external": {
      const { endpoint } = stage;
      if (!endpoint) {
        throw new AppError("invalid_stage", "OCR engine external needs an endpoint", 422, {
          retryable: false,
        });
      }
      return (image, pageNumber) =>
        context.limiter.run(() =>
          recognizeExternal({
            png: image.png,
            pageNumber,
            endpoint,
            languages: stage.languages,
            timeoutMs: limits.externalTimeoutMs,
            maxAttempts: limits.externalAttempts,
            backoffMs: limits.externalBackoffMs,
            apiKey: context.externalApiKey,
            signal,
            onFailedAttempt,
          }),
        );
    }
  }
}
