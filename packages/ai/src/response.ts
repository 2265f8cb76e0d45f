/** Reading a chat-completions answer: the content, JSON mode's object, and upstream errors. */

export interface AiUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

interface ChatCompletion {
  model?: unknown;
  choices?: { message?: { content?: unknown; refusal?: unknown } }[];
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown; total_tokens?: unknown };
}

export type Completion =
  | { ok: true; content: string; model: string | undefined; usage: AiUsage | undefined }
  | { ok: false; reason: string };

export function readCompletion(body: unknown): Completion {
  const completion = (body ?? {}) as ChatCompletion;
  const message = Array.isArray(completion.choices) ? completion.choices[0]?.message : undefined;
  if (typeof message?.content !== "string") {
    const refusal =
      typeof message?.refusal === "string" ? `: the model refused (${message.refusal})` : "";
    return { ok: false, reason: `the answer has no choices[0].message.content${refusal}` };
  }
  return {
    ok: true,
    content: message.content,
    model: typeof completion.model === "string" ? completion.model : undefined,
    usage: readUsage(completion.usage),
  };
}

function readUsage(usage: ChatCompletion["usage"]): AiUsage | undefined {
  if (!usage || typeof usage.prompt_tokens !== "number") return undefined;
  const promptTokens = usage.prompt_tokens;
  const completionTokens =
    typeof usage.completion_tokens === "number" ? usage.completion_tokens : 0;
  const totalTokens =
    typeof usage.total_tokens === "number" ? usage.total_tokens : promptTokens + completionTokens;
  return { promptTokens, completionTokens, totalTokens };
}

const FENCE = /^\s*```[A-Za-z]*[ \t]*\r?\n([\s\S]*?)\r?\n?```\s*$/;

/** JSON mode's content as a value; models sometimes wrap it in a ```json fence anyway. */
export function parseJsonContent(content: string): { ok: true; value: unknown } | { ok: false } {
  const inner = FENCE.exec(content)?.[1] ?? content;
  try {
    return { ok: true, value: JSON.parse(inner) };
  } catch {
    return { ok: false };
  }
}

/** The upstream's own error message (OpenAI's `{ error: { message } }` or plain text), short. */
export function upstreamMessage(bodyText: string): string {
  let message = bodyText;
  try {
    const body = JSON.parse(bodyText) as {
      error?: { message?: unknown } | string;
      message?: unknown;
    };
    const candidate =
      typeof body.error === "string" ? body.error : (body.error?.message ?? body.message);
    if (typeof candidate === "string") message = candidate;
  } catch {
    // Not JSON: the text itself is the message.
  }
  const flat = message.replace(/\s+/g, " ").trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat || "(empty body)";
}

/** Removes the key (and any bearer token) from text that may be shown or logged. */
export function redactSecret(text: string, apiKey: string | undefined): string {
  const withoutKey = apiKey ? text.split(apiKey).join("[redacted]") : text;
  return withoutKey.replace(/Bearer\s+\S+/gi, "Bearer [redacted]");
}
