/**
 * OCR: text from PDFs (text layer or rendered pages), images and plain text, with three engines.
 */

export { cer } from "./cer.ts";
export { DEFAULT_LIMITS, type OcrLimits } from "./engines.ts";
export {
  createOcrService,
  type ExtractInput,
  type OcrPage,
  type OcrResult,
  type OcrService,
  type OcrServiceDeps,
  type PageSource,
} from "./service.ts";
