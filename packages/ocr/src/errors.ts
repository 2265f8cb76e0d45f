/** The OCR package's named errors: what the caller sees and whether a retry can help. */

import { AppError } from "@crpipeline/errors";

/** The bytes cannot be read as the document they claim to be; running again cannot help. */
export const unreadableDocument = (reason: string, cause?: unknown) =>
  new AppError("unreadable_document", reason, 422, { retryable: false, cause });

export const unsupportedContentType = (contentType: string) =>
  new AppError(
    "unsupported_media_type",
    `Cannot extract text from content type "${contentType}"`,
    415,
    { retryable: false },
  );

export const languageUnavailable = (language: string, engine: string, hint: string) =>
  new AppError(
    "ocr_language_unavailable",
    `OCR language "${language}" is not installed for engine ${engine} (${hint})`,
    422,
    { retryable: false },
  );

/** The engine itself is absent from this machine: configuration, not a transient fault. */
export const engineMissing = (what: string) =>
  new AppError("ocr_engine_unavailable", what, 500, { retryable: false });

/** The engine crashed or misbehaved on a valid page; another run may succeed. */
export const engineFailed = (message: string, cause?: unknown) =>
  new AppError("ocr_failed", message, 502, { retryable: true, cause });

export const engineTimeout = (what: string, ms: number) =>
  new AppError("ocr_timeout", `${what} did not finish within ${ms} ms`, 504, { retryable: true });

export const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);
