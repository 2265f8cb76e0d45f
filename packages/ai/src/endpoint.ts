/** Which AI endpoint and prompt template a stage uses: organisation settings over the server's. */

import { AppError } from "@crpipeline/errors";
import type { AiStage } from "@crpipeline/pipeline";
import type { AiEndpoint } from "./types.ts";

/** The server-wide settings (a subset of `Config`, so the whole config can be passed). */
export interface AiServerConfig {
  aiApiUrl?: string | undefined;
  aiApiKey?: string | undefined;
  aiModel: string;
}

/** The parts of an organisation's settings that concern AI stages. */
export interface AiOrgSettings {
  aiEndpoint?: { url?: string; model?: string; apiKey?: string };
  /** Prompt templates by name, used by stages that give `promptName`. */
  prompts?: Record<string, string>;
}

export const AI_NOT_CONFIGURED_MESSAGE =
  "AI endpoint not configured: set AI_API_URL or the organisation's AI endpoint";

/**
 * The endpoint for one stage. URL: the organisation's, else AI_API_URL. Model: the stage's,
 * else the organisation's, else AI_MODEL. Key: the organisation's; the server's AI_API_KEY
 * is only sent to the server's own AI_API_URL, never to a URL an organisation typed in.
 */
export function resolveAiEndpoint(input: {
  config: AiServerConfig;
  orgSettings?: AiOrgSettings | undefined;
  stage: Pick<AiStage, "model">;
}): AiEndpoint {
  const org = input.orgSettings?.aiEndpoint ?? {};
  const url = org.url || input.config.aiApiUrl;
  if (!url) throw new AppError("ai_not_configured", AI_NOT_CONFIGURED_MESSAGE, 422);

  const apiKey = org.url ? org.apiKey : (org.apiKey ?? input.config.aiApiKey);
  const model = input.stage.model || org.model || input.config.aiModel;
  return apiKey ? { url, apiKey, model } : { url, model };
}

/** The stage's template: its own `prompt`, or the organisation's template named `promptName`. */
export function resolvePromptTemplate(
  stage: Pick<AiStage, "prompt" | "promptName">,
  prompts: Record<string, string> = {},
): string {
  if (stage.prompt) return stage.prompt;
  if (!stage.promptName) {
    throw new AppError("validation_failed", "An AI stage needs a prompt or a promptName", 400);
  }
  const template = Object.hasOwn(prompts, stage.promptName) ? prompts[stage.promptName] : undefined;
  if (template === undefined) {
    throw new AppError(
      "prompt_not_found",
      `Prompt template "${stage.promptName}" is not defined in the organisation's settings`,
      422,
      { details: { promptName: stage.promptName } },
    );
  }
  return template;
}
