/** An OpenAI-compatible chat-completions client with per-attempt timeouts and retries. */

import { AppError } from "@crpipeline/errors";
import type { Logger } from "@crpipeline/log";
import type { Metrics } from "@crpipeline/telemetry";
import { attemptCompletion, type Failure } from "./attempt.ts";
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF, sleep } from "./backoff.ts";
import { redactSecret } from "./response.ts";
import type { AiClient, ChatMessage, CompleteRequest } from "./types.ts";

export interface AiClientDeps {
  metrics: Metrics;
  logger: Logger;
  fetch?: typeof fetch;
  backoff?: Partial<BackoffOptions>;
  /** Source of jitter; tests may pin it. */
  random?: () => number;
}

const JSON_INSTRUCTION = "Answer with one JSON object and nothing else.";

export function createAiClient(deps: AiClientDeps): AiClient {
  const doFetch = deps.fetch ?? fetch;
  const backoff = { ...DEFAULT_BACKOFF, ...deps.backoff };
  const logger = deps.logger.child("ai");

  return {
    async complete(request) {
      const messages = buildMessages(request);
      const secret = request.endpoint.apiKey;
      let invalidJsonSeen = false;

      for (let attempts = 1; ; attempts++) {
        if (request.signal?.aborted) throw request.signal.reason;
        const outcome = await attemptCompletion(doFetch, request, messages);
        if (outcome.ok) return { ...outcome.result, attempts };

        deps.metrics.aiOcrError("ai");
        const reason = redactSecret(outcome.reason, secret);
        // Models are not deterministic, so one fresh sample often fixes malformed JSON; more
        // than one retry for it mostly burns tokens.
        const retryJson = outcome.kind !== "invalid_json" || !invalidJsonSeen;
        if (outcome.kind === "invalid_json") invalidJsonSeen = true;
        const retrying = outcome.retryable && retryJson && attempts <= request.maxRetries;
        const waitMs = retrying ? waitBefore(attempts, outcome.retryAfterMs) : 0;
        logger.warn(
          {
            attempt: attempts,
            kind: outcome.kind,
            reason,
            retrying,
            waitMs,
            model: request.endpoint.model,
          },
          "AI call attempt failed",
        );

        if (!retrying) {
          if (outcome.final) throw redactError(outcome.final, secret);
          throw finalError(outcome.kind, reason, attempts);
        }
        await sleep(waitMs, request.signal);
      }
    },
  };

  function waitBefore(retry: number, retryAfterMs: number | undefined): number {
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, backoff.maxRetryAfterMs);
    return backoffDelay(retry, backoff, deps.random);
  }
}

/** JSON mode on OpenAI rejects messages that never mention JSON; say it once up front. */
function buildMessages(request: CompleteRequest): ChatMessage[] {
  const messages: ChatMessage[] = [...(request.messages ?? [])];
  if (messages.length === 0) {
    if (request.prompt === undefined) {
      throw new AppError("ai_prompt_missing", "An AI call needs a prompt or messages", 400);
    }
    messages.push({ role: "user", content: request.prompt });
  }
  const mentionsJson = messages.some((message) => /json/i.test(message.content));
  if (!request.json || mentionsJson) return messages;
  return [{ role: "system", content: JSON_INSTRUCTION }, ...messages];
}

function finalError(kind: Failure["kind"], reason: string, attempts: number): AppError {
  const tries = attempts === 1 ? "1 attempt" : `${attempts} attempts`;
  if (kind === "timeout") {
    return new AppError("ai_timeout", `AI call failed after ${tries}: ${reason}`, 504);
  }
  if (kind === "invalid_json") {
    return new AppError("ai_invalid_json", `AI call failed after ${tries}: ${reason}`, 502, {
      retryable: false,
    });
  }
  return new AppError("ai_unavailable", `AI call failed after ${tries}: ${reason}`, 503);
}

function redactError(error: AppError, secret: string | undefined): AppError {
  return new AppError(error.code, redactSecret(error.message, secret), error.status, {
    retryable: error.retryable,
    details: error.details,
  });
}
