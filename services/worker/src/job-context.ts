/**
 * What the stages of one job read: the job, its document's bytes, org settings, earlier outputs.
 */

import {
  type Database,
  type Document,
  getDocument,
  getInternalSettings,
  type InternalSettings,
  type Job,
  type SecretBox,
} from "@crpipeline/db";
import { AppError } from "@crpipeline/errors";
import type { OcrResult } from "@crpipeline/ocr";
import type { ObjectStore } from "@crpipeline/storage";
import type { StageValue } from "./stages/types.ts";

export interface JobContext {
  job: Job;
  document: Document;
  /** The original upload, read once per run. */
  bytes: Uint8Array;
  /** Internal view: includes secret values, so it never leaves the worker. */
  settings: InternalSettings;
  /** Outputs of the stages run so far, by stage index. */
  results: StageValue[];
}

export async function loadJobContext(
  deps: { db: Database; store: ObjectStore; secrets: SecretBox },
  job: Job,
) {
  const document = await getDocument(deps.db, job.orgId, job.documentId);
  if (!document) {
    throw new AppError("document_missing", "The job's document no longer exists", 422, {
      retryable: false,
    });
  }
  const [bytes, settings] = await Promise.all([
    deps.store.getBytes(document.storageKey),
    getInternalSettings(deps.db, job.orgId, deps.secrets),
  ]);
  const context: JobContext = { job, document, bytes, settings, results: [] };
  return context;
}

const TEXT_TYPES = new Set(["text/plain", "text/markdown"]);

const isTextDocument = (document: Document) =>
  TEXT_TYPES.has((document.contentType.split(";")[0] ?? "").trim().toLowerCase());

function latest<T extends StageValue["type"]>(context: JobContext, type: T) {
  return context.results.findLast(
    (value): value is Extract<StageValue, { type: T }> => value?.type === type,
  );
}

/**
 * The text the latest OCR stage produced or, with no OCR stage before, the document's own text
 * when it is a text or Markdown file. Anything else needs an OCR stage first.
 */
export function documentText(context: JobContext): OcrResult {
  const ocr = latest(context, "ocr");
  if (ocr) return ocr.ocr;
  if (!isTextDocument(context.document)) {
    throw new AppError(
      "ocr_stage_missing",
      `A document of type ${context.document.contentType} needs an OCR stage before stages ` +
        "that read its text",
      422,
      { retryable: false },
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(context.bytes).trim();
  } catch {
    throw new AppError("unreadable_document", "Text is not valid UTF-8", 422, { retryable: false });
  }
  return { text, pages: [{ number: 1, text, source: "text-layer" }] };
}

export const latestParsed = (context: JobContext) => latest(context, "parse")?.parsed;

export const latestAi = (context: JobContext) => latest(context, "ai")?.ai;

/** Earlier stages' stored JSON by index, for `{{previous.<n>}}` in prompts. */
export function previousOutputs(context: JobContext): unknown[] {
  return context.results.map((value) => {
    if (value.type === "ocr") return value.ocr;
    if (value.type === "parse") return value.parsed;
    if (value.type === "ai") return value.ai;
    return value.summary;
  });
}
