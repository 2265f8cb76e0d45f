/** The parse stage: keywords, regexes, a table and lines out of the text, as `<n>-parse.json`. */

import { runParse } from "@crpipeline/parse";
import type { ParseStage } from "@crpipeline/pipeline";
import { documentText } from "../job-context.ts";
import { jsonFile, type StageProcessor } from "./types.ts";

export function parseProcessor(): StageProcessor<ParseStage> {
  return {
    async run({ stage, job }) {
      const parsed = await runParse(stage, documentText(job).text);
      return { value: { type: "parse", parsed }, files: [jsonFile("parse", parsed)] };
    },
  };
}
