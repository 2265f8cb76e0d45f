/** The AI client's public types: endpoint, messages, a call and its result. */

import type { AiUsage } from "./response.ts";

export interface AiEndpoint {
  /** Base URL such as `https://api.openai.com/v1`; `/chat/completions` is appended. */
  url: string;
  apiKey?: string;
  model: string;
}

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface CompleteRequest {
  endpoint: AiEndpoint;
  /** Either full messages or a single user prompt. */
  messages?: ChatMessage[];
  prompt?: string;
  /** Ask for a JSON object (`response_format: json_object`) and parse the answer. */
  json: boolean;
  /** Limit for each attempt, not for the whole call. */
  timeoutMs: number;
  /** Attempts after the first one for transient failures. */
  maxRetries: number;
  /** Cancels the call, including a wait between attempts; the call rejects with its reason. */
  signal?: AbortSignal;
}

export interface CompleteResult {
  content: string;
  json?: unknown;
  model: string;
  usage?: AiUsage;
  attempts: number;
}

export interface AiClient {
  complete(request: CompleteRequest): Promise<CompleteResult>;
}
