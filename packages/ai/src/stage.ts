/** The AI stage: render the prompt from the stage input, call the endpoint, shape the output. */

import type { AiStage } from "@crpipeline/pipeline";
import { resolvePromptTemplate } from "./endpoint.ts";
import { type PromptContext, renderPrompt } from "./prompt.ts";
import type { AiUsage } from "./response.ts";
import type { AiClient, AiEndpoint } from "./types.ts";

export interface AiStageOutput {
  content: string;
  /** The parsed object when the stage asked for JSON. */
  json?: unknown;
  model: string;
  usage: AiUsage | null;
}

export interface RunAiStageInput {
  stage: AiStage;
  input: PromptContext;
  endpoint: AiEndpoint;
  client: AiClient;
  /** The organisation's prompt templates, for `promptName`. */
  promptTemplates?: Record<string, string>;
  signal?: AbortSignal;
  /** Budget for the rendered prompt in characters (see `renderPrompt`). */
  maxPromptChars?: number;
}

/** Runs one AI stage; the output is stored as JSON whatever the stage asked the model for. */
export async function runAiStage(
  run: RunAiStageInput,
): Promise<{ output: AiStageOutput; contentType: "application/json" }> {
  const template = resolvePromptTemplate(run.stage, run.promptTemplates);
  const prompt = renderPrompt(template, run.input, { maxChars: run.maxPromptChars });

  const result = await run.client.complete({
    endpoint: run.endpoint,
    prompt,
    json: run.stage.json,
    timeoutMs: run.stage.timeoutMs,
    maxRetries: run.stage.maxRetries,
    signal: run.signal,
  });

  const output: AiStageOutput = {
    content: result.content,
    model: result.model,
    usage: result.usage ?? null,
  };
  if (run.stage.json) output.json = result.json;
  return { output, contentType: "application/json" };
}
