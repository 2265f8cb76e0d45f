/**
 * An OpenAI-compatible chat-completions stand-in for worker tests, on a random loopback port.
 * Tests can hold answers back (to catch a job mid-stage) and release them later.
 */

import { afterAll } from "bun:test";
import type { Server } from "bun";

export interface FakeAi {
  /** Base URL as configured: `http://127.0.0.1:<port>/v1`. */
  url: string;
  apiKey: string;
  /** Requests received so far (held ones included). */
  received(): number;
  /** Answers after this call wait until `release()`. */
  hold(): void;
  release(): void;
  /** What the model answers; a function of the user prompt by default. */
  reply(content: (prompt: string, json: boolean) => string): void;
  stop(): Promise<void>;
}

interface ChatBody {
  model?: string;
  messages?: { role: string; content: string }[];
  response_format?: { type: string };
}

const defaultReply = (prompt: string, json: boolean) =>
  json ? JSON.stringify({ characters: prompt.length, start: prompt.slice(0, 40) }) : prompt;

export function startFakeAi(apiKey = "sk-worker-test-key"): FakeAi {
  let count = 0;
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  let answer = defaultReply;

  const server: Server<undefined> = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      if (request.method !== "POST" || new URL(request.url).pathname !== "/v1/chat/completions") {
        return Response.json({ error: { message: "not found" } }, { status: 404 });
      }
      if (request.headers.get("authorization") !== `Bearer ${apiKey}`) {
        return Response.json({ error: { message: "Incorrect API key provided" } }, { status: 401 });
      }
      const body = (await request.json()) as ChatBody;
      count += 1;
      if (!body.model || !body.messages?.length) {
        return Response.json({ error: { message: "model and messages needed" } }, { status: 400 });
      }
      if (gate) await gate;

      const json = body.response_format?.type === "json_object";
      const prompt = body.messages.filter((m) => m.role === "user").at(-1)?.content ?? "";
      return Response.json({
        id: `chatcmpl-${crypto.randomUUID()}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: answer(prompt, json) },
            finish_reason: "stop",
          },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      });
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}/v1`,
    apiKey,
    received: () => count,
    hold() {
      gate ??= new Promise((resolve) => {
        open = resolve;
      });
    },
    release() {
      open?.();
      gate = undefined;
      open = undefined;
    },
    reply(content) {
      answer = content;
    },
    async stop() {
      this.release();
      await server.stop(true);
    },
  };
}

/** One stand-in for every test of the calling file, stopped after the last of them. */
export function fakeAiForFile(): FakeAi {
  const fake = startFakeAi();
  afterAll(() => fake.stop());
  return fake;
}
