/** An external OCR HTTP service as an engine: multipart page image in, JSON `{ text }` out. */

import { AppError } from "@crpipeline/errors";
import { engineFailed, engineTimeout, errorMessage } from "./errors.ts";

export interface ExternalOcrRequest {
  png: Uint8Array;
  pageNumber: number;
  endpoint: string;
  apiKey?: string;
  languages: string[];
  timeoutMs: number;
  maxAttempts: number;
  /** First pause between attempts; it doubles after each one. */
  backoffMs: number;
  signal?: AbortSignal;
  /** Called for every failed attempt, retried or not (it feeds `ai_ocr_errors_total`). */
  onFailedAttempt: (error: AppError) => void;
}

/** What one HTTP exchange produced: the text, or an error that says whether to try again. */
async function attempt(request: ExternalOcrRequest): Promise<string> {
  const form = new FormData();
  form.append(
    "file",
    new File([request.png], `page-${request.pageNumber}.png`, { type: "image/png" }),
  );
  form.append("languages", request.languages.join("+"));
  const headers: Record<string, string> = { accept: "application/json" };
  if (request.apiKey) headers.authorization = `Bearer ${request.apiKey}`;

  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetch(request.endpoint, { method: "POST", body: form, headers, signal });
  } catch (error) {
    request.signal?.throwIfAborted();
    if (timeout.aborted) throw engineTimeout("the external OCR service", request.timeoutMs);
    throw engineFailed(`the external OCR service is unreachable: ${errorMessage(error)}`, error);
  }

  if (!response.ok) {
    const body = (await response.text().catch(() => "")).slice(0, 200);
    const message = `the external OCR service answered ${response.status}: ${body}`;
    // Server faults and throttling can pass; a refused request will be refused again.
    const retryable = response.status >= 500 || response.status === 429;
    throw new AppError("ocr_failed", message, 502, { retryable });
  }

  const payload: unknown = await response.json().catch(() => undefined);
  if (typeof payload === "object" && payload && "text" in payload) {
    const { text } = payload as { text: unknown };
    if (typeof text === "string") return text;
  }
  throw new AppError("ocr_failed", "the external OCR service answered without a text field", 502, {
    retryable: false,
  });
}

export async function recognizeExternal(request: ExternalOcrRequest): Promise<string> {
  for (let number = 1; ; number++) {
    try {
      return await attempt(request);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      request.onFailedAttempt(error);
      if (!error.retryable || number >= request.maxAttempts) throw error;
    }
    await Bun.sleep(request.backoffMs * 2 ** (number - 1));
    request.signal?.throwIfAborted();
  }
}
