/**
 * An OpenAI-compatible chat-completions server for tests, on a random loopback port. It checks
 * what the real service checks (bearer key, body shape, the JSON-mode rule) and answers in its
 * format; tests queue up failures (status codes, Retry-After, hangs) for the next requests.
 */

import type { Server } from "bun";

export interface RecordedRequest {
  /** `performance.now()` when the request arrived. */
  at: number;
  authorization: string | null;
  body: unknown;
}

export type Behaviour =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { content: string }
  | "hang";

export interface FakeOpenAi {
  /** Base URL as users configure it: `http://127.0.0.1:<port>/v1`. */
  url: string;
  apiKey: string;
  requests: RecordedRequest[];
  /** The chat body of the n-th request received; fails the test when there is none. */
  bodyOf(index: number): ChatBody;
  /** Behaviours for the next requests, in order; afterwards requests are answered normally. */
  enqueue(...behaviours: Behaviour[]): void;
  stop(): Promise<void>;
}

export interface ChatBody {
  model: string;
  messages: { role: string; content: string }[];
  response_format?: { type: string };
}

const ROLES = new Set(["system", "user", "assistant", "developer"]);

const openAiError = (status: number, message: string, type: string, code: string | null) =>
  Response.json({ error: { message, type, param: null, code } }, { status });

function checkBody(body: unknown): string | undefined {
  const chat = body as Partial<ChatBody> | null;
  if (!chat || typeof chat !== "object") return "We could not parse the JSON body of your request.";
  if (typeof chat.model !== "string" || chat.model === "")
    return "you must provide a model parameter";
  if (!Array.isArray(chat.messages) || chat.messages.length === 0) {
    return "[] is too short - 'messages'";
  }
  for (const message of chat.messages) {
    if (!ROLES.has(message?.role) || typeof message?.content !== "string") {
      return "Invalid value for 'messages': each message needs a role and string content.";
    }
  }
  if (chat.response_format !== undefined) {
    if (chat.response_format?.type !== "json_object") {
      return "Invalid value for 'response_format.type'.";
    }
    if (!chat.messages.some((message) => /json/i.test(message.content))) {
      return "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.";
    }
  }
  return undefined;
}

/** What the model "says" by default: derived from the prompt so tests can check it arrived. */
function defaultContent(chat: ChatBody): string {
  const user = chat.messages.filter((message) => message.role === "user").at(-1)?.content ?? "";
  if (chat.response_format) {
    return JSON.stringify({ echo: user.slice(0, 200), characters: user.length });
  }
  return `Echo: ${user}`;
}

function completion(chat: ChatBody, content: string): Response {
  const promptTokens = Math.ceil(
    chat.messages.reduce((total, message) => total + message.content.length, 0) / 4,
  );
  const completionTokens = Math.ceil(content.length / 4);
  return Response.json({
    id: `chatcmpl-${crypto.randomUUID()}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: `${chat.model}-2024-07-18`,
    choices: [
      { index: 0, message: { role: "assistant", content, refusal: null }, finish_reason: "stop" },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  });
}

export function startFakeOpenAi(apiKey = "sk-test-3c1f9e2a7b5d4e6f8a0b"): FakeOpenAi {
  const queue: Behaviour[] = [];
  const requests: RecordedRequest[] = [];

  const server: Server<undefined> = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const at = performance.now();
      const { pathname } = new URL(request.url);
      if (request.method !== "POST" || pathname !== "/v1/chat/completions") {
        return openAiError(
          404,
          `Invalid URL (${request.method} ${pathname})`,
          "invalid_request_error",
          null,
        );
      }

      const authorization = request.headers.get("authorization");
      let body: unknown;
      try {
        body = await request.json();
      } catch {
        body = null;
      }
      requests.push({ at, authorization, body });

      if (authorization !== `Bearer ${apiKey}`) {
        // The real service masks most of a wrong key; echoing it whole is the worst case an
        // error message could carry, which is what the client's redaction must survive.
        const given = authorization?.replace(/^Bearer /, "") ?? "";
        return openAiError(
          401,
          `Incorrect API key provided: ${given}.`,
          "invalid_request_error",
          "invalid_api_key",
        );
      }
      const problem = checkBody(body);
      if (problem) return openAiError(400, problem, "invalid_request_error", null);
      const chat = body as ChatBody;

      const behaviour = queue.shift();
      if (behaviour === "hang") {
        // Never answers; settles only when the client gives up, so nothing leaks.
        return new Promise<Response>((resolve) => {
          request.signal.addEventListener("abort", () =>
            resolve(new Response(null, { status: 499 })),
          );
        });
      }
      if (behaviour && "status" in behaviour) {
        const payload = behaviour.body ?? {
          error: { message: `status ${behaviour.status}`, type: "server_error" },
        };
        return Response.json(payload, { status: behaviour.status, headers: behaviour.headers });
      }
      return completion(chat, behaviour?.content ?? defaultContent(chat));
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}/v1`,
    apiKey,
    requests,
    bodyOf(index) {
      const body = requests[index]?.body;
      if (!body) throw new Error(`the fake received no request #${index}`);
      return body as ChatBody;
    },
    enqueue: (...behaviours) => queue.push(...behaviours),
    stop: () => server.stop(true),
  };
}
