/** The registry of stage processors, one per stage type. */

import type { AiClient } from "@crpipeline/ai";
import type { Config } from "@crpipeline/config";
import type { OcrService } from "@crpipeline/ocr";
import { aiProcessor } from "./ai.ts";
import { ocrProcessor } from "./ocr.ts";
import { parseProcessor } from "./parse.ts";
import { reportProcessor } from "./report.ts";
import type { Processors } from "./types.ts";

export interface ProcessorDeps {
  config: Config;
  ocr: OcrService;
  ai: AiClient;
}

export function createProcessors(deps: ProcessorDeps): Processors {
  return {
    ocr: ocrProcessor({ ocr: deps.ocr }),
    ai: aiProcessor({ client: deps.ai, config: deps.config }),
    parse: parseProcessor(),
    report: reportProcessor(),
  };
}
