/** The AI stage: the prompt filled from earlier outputs, sent to the org's or server's endpoint. */

import { type AiClient, type AiOrgSettings, resolveAiEndpoint, runAiStage } from "@crpipeline/ai";
import type { Config } from "@crpipeline/config";
import type { InternalSettings } from "@crpipeline/db";
import type { AiStage } from "@crpipeline/pipeline";
import { documentText, latestParsed, previousOutputs } from "../job-context.ts";
import { jsonFile, type StageProcessor } from "./types.ts";

/** The stored settings in the shape endpoint resolution reads. */
function aiOrgSettings(settings: InternalSettings): AiOrgSettings {
  return {
    aiEndpoint: {
      url: settings.ai.url ?? undefined,
      model: settings.ai.model ?? undefined,
      apiKey: settings.secrets.aiApiKey ?? undefined,
    },
    prompts: settings.promptTemplates,
  };
}

export function aiProcessor(deps: { client: AiClient; config: Config }): StageProcessor<AiStage> {
  return {
    async run({ stage, job, signal }) {
      // First, so that a missing endpoint is the reason given, whatever else is wrong.
      const endpoint = resolveAiEndpoint({
        config: deps.config,
        orgSettings: aiOrgSettings(job.settings),
        stage,
      });
      const { output } = await runAiStage({
        stage,
        input: {
          text: documentText(job).text,
          parsed: latestParsed(job),
          document: { name: job.document.name, contentType: job.document.contentType },
          previous: previousOutputs(job),
        },
        endpoint,
        client: deps.client,
        promptTemplates: job.settings.promptTemplates,
        signal,
      });
      return { value: { type: "ai", ai: output }, files: [jsonFile("ai", output)] };
    },
  };
}
