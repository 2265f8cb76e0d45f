/** The OCR stage: text out of the document, page by page, stored as `<n>-ocr.json`. */

import { AppError } from "@crpipeline/errors";
import type { OcrService } from "@crpipeline/ocr";
import type { OcrStage } from "@crpipeline/pipeline";
import { jsonFile, type StageProcessor } from "./types.ts";

export function ocrProcessor(deps: { ocr: OcrService }): StageProcessor<OcrStage> {
  return {
    async run({ stage, job, signal, reportProgress }) {
      let externalApiKey: string | undefined;
      if (stage.apiKeyRef) {
        externalApiKey = job.settings.secrets.ocrKeys[stage.apiKeyRef];
        if (externalApiKey === undefined) {
          throw new AppError(
            "ocr_key_missing",
            `OCR key "${stage.apiKeyRef}" is not set in the organisation's settings`,
            422,
            { retryable: false },
          );
        }
      }

      const ocr = await deps.ocr.extract({
        bytes: job.bytes,
        contentType: job.document.contentType,
        stage,
        externalApiKey,
        signal,
        onProgress: (done, total) => reportProgress(done / total),
      });
      return { value: { type: "ocr", ocr }, files: [jsonFile("ocr", ocr)] };
    },
  };
}
