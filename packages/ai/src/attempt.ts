/** One chat-completions request, classified: a result, or a failure that says if retrying helps. */

import { AppError } from "@crpipeline/errors";
import { parseRetryAfter } from "./backoff.ts";
import { parseJsonContent, readCompletion, upstreamMessage } from "./response.ts";
import type { ChatMessage, CompleteRequest, CompleteResult } from "./types.ts";

export type Failure = {
  kind: "timeout" | "network" | "status" | "bad_response" | "invalid_json";
  reason: string;
  retryable: boolean;
  retryAfterMs?: number;
  /** The error to throw as is when the failure is final and not a matter of retries. */
  final?: AppError;
};
export type Outcome =
  | { ok: true; result: Omit<CompleteResult, "attempts"> }
  | ({ ok: false } & Failure);

// Upstream statuses where the same request can succeed later.
const TRANSIENT = new Set([408, 409, 425, 429]);

export async function attemptCompletion(
  doFetch: typeof fetch,
  request: CompleteRequest,
  messages: ChatMessage[],
): Promise<Outcome> {
  const { endpoint } = request;
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  const body = {
    model: endpoint.model,
    messages,
    ...(request.json ? { response_format: { type: "json_object" } } : {}),
  };
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json",
  };
  if (endpoint.apiKey) headers.authorization = `Bearer ${endpoint.apiKey}`;

  let status: number;
  let text: string;
  let retryAfter: string | null;
  try {
    const response = await doFetch(completionsUrl(endpoint.url), {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      signal,
    });
    status = response.status;
    retryAfter = response.headers.get("retry-after");
    text = await response.text();
  } catch (error) {
    if (request.signal?.aborted) throw request.signal.reason;
    if (timeout.aborted) {
      const reason = `no answer within ${request.timeoutMs} ms`;
      return { ok: false, kind: "timeout", reason, retryable: true };
    }
    const reason = `cannot reach the AI endpoint (${(error as Error).message})`;
    return { ok: false, kind: "network", reason, retryable: true };
  }

  if (status < 200 || status >= 300) {
    const reason = `the AI endpoint answered ${status}: ${upstreamMessage(text)}`;
    if (status >= 500 || TRANSIENT.has(status)) {
      const retryAfterMs = parseRetryAfter(retryAfter);
      return { ok: false, kind: "status", reason, retryable: true, retryAfterMs };
    }
    const final = new AppError("ai_request_rejected", reason, 422, {
      details: { upstreamStatus: status },
    });
    return { ok: false, kind: "status", reason, retryable: false, final };
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const completion = readCompletion(parsed);
  if (!completion.ok) {
    const reason = `unusable answer from the AI endpoint: ${completion.reason}`;
    const final = new AppError("ai_bad_response", reason, 502, { retryable: false });
    return { ok: false, kind: "bad_response", reason, retryable: false, final };
  }

  const result = {
    content: completion.content,
    model: completion.model ?? endpoint.model,
    ...(completion.usage ? { usage: completion.usage } : {}),
  };
  if (!request.json) return { ok: true, result };
  const json = parseJsonContent(completion.content);
  if (!json.ok) {
    const snippet = completion.content.replace(/\s+/g, " ").slice(0, 120);
    const reason = `JSON was requested but the answer is not JSON: "${snippet}"`;
    return { ok: false, kind: "invalid_json", reason, retryable: true };
  }
  return { ok: true, result: { ...result, json: json.value } };
}

function completionsUrl(base: string): string {
  const trimmed = base.replace(/\/+$/, "");
  return trimmed.endsWith("/chat/completions") ? trimmed : `${trimmed}/chat/completions`;
}
