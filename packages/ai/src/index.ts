/** The AI package: prompt templates, the OpenAI-compatible client and the AI stage. */

export {
  type BackoffOptions,
  backoffDelay,
  DEFAULT_BACKOFF,
  parseRetryAfter,
} from "./backoff.ts";
export { type AiClientDeps, createAiClient } from "./client.ts";
export {
  AI_NOT_CONFIGURED_MESSAGE,
  type AiOrgSettings,
  type AiServerConfig,
  resolveAiEndpoint,
  resolvePromptTemplate,
} from "./endpoint.ts";
export {
  DEFAULT_PROMPT_CHARS,
  type PromptContext,
  promptPlaceholders,
  type RenderOptions,
  renderPrompt,
} from "./prompt.ts";
export { type AiUsage, parseJsonContent } from "./response.ts";
export { type AiStageOutput, type RunAiStageInput, runAiStage } from "./stage.ts";
export type {
  AiClient,
  AiEndpoint,
  ChatMessage,
  CompleteRequest,
  CompleteResult,
} from "./types.ts";
