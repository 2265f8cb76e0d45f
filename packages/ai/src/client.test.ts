import { afterAll, afterEach, beforeEach, describe, expect, test } from "bun:test";
import { AppError } from "@crpipeline/errors";
import { silentLogger } from "@crpipeline/log";
import { createTestTelemetry, sampleValue } from "@crpipeline/telemetry";
import { createAiClient } from "./client.ts";
import { type FakeOpenAi, startFakeOpenAi } from "./fake-openai.test-utils.ts";
import type { CompleteRequest } from "./types.ts";

const telemetry = createTestTelemetry();
// Short backoff so retry tests run fast; Retry-After tests prove the server's wait wins.
const client = createAiClient({
  metrics: telemetry.metrics,
  logger: silentLogger,
  backoff: { baseMs: 20, capMs: 100, maxRetryAfterMs: 5_000 },
});

const aiErrors = async () =>
  sampleValue(await telemetry.scrape(), "ai_ocr_errors_total", { service: "ai" });

/** The rejection of a call that must fail, with the time it took. */
async function failure(call: Promise<unknown>): Promise<{ error: AppError; ms: number }> {
  const started = performance.now();
  const error = await call.then(
    () => {
      throw new Error("the call was expected to fail");
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  return { error: error as AppError, ms: performance.now() - started };
}

let server: FakeOpenAi;
let request: (overrides?: Partial<CompleteRequest>) => CompleteRequest;

beforeEach(() => {
  server = startFakeOpenAi();
  request = (overrides = {}) => ({
    endpoint: { url: server.url, apiKey: server.apiKey, model: "gpt-4o-mini" },
    prompt: "Summarise: the invoice total is 143.57 EUR.",
    json: false,
    timeoutMs: 2_000,
    maxRetries: 3,
    ...overrides,
  });
});
afterEach(() => server.stop());
afterAll(() => telemetry.shutdown());

describe("successful calls", () => {
  test("plain completion: content, model, usage, one attempt, the protocol's request", async () => {
    const result = await client.complete(request());

    expect(result).toEqual({
      content: "Echo: Summarise: the invoice total is 143.57 EUR.",
      model: "gpt-4o-mini-2024-07-18",
      usage: { promptTokens: 11, completionTokens: 13, totalTokens: 24 },
      attempts: 1,
    });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.authorization).toBe(`Bearer ${server.apiKey}`);
    expect(server.requests[0]?.body).toEqual({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Summarise: the invoice total is 143.57 EUR." }],
    });
  });

  test("JSON mode sends response_format, mentions JSON, and parses the answer", async () => {
    const result = await client.complete(request({ json: true }));

    expect(result.json).toEqual({
      echo: "Summarise: the invoice total is 143.57 EUR.",
      characters: 43,
    });
    const body = server.bodyOf(0);
    expect(body.response_format).toEqual({ type: "json_object" });
    // The prompt never says "JSON", which the endpoint would reject: the client adds it.
    expect(body.messages[0]).toEqual({
      role: "system",
      content: "Answer with one JSON object and nothing else.",
    });
  });

  test("JSON wrapped in a ```json fence is accepted", async () => {
    server.enqueue({ content: '```json\n{ "total": 143.57, "currency": "EUR" }\n```' });
    const result = await client.complete(request({ json: true }));
    expect(result.json).toEqual({ total: 143.57, currency: "EUR" });
    expect(result.content).toStartWith("```json");
  });

  test("messages are sent as given", async () => {
    const messages = [
      { role: "system" as const, content: "You read invoices and reply in JSON." },
      { role: "user" as const, content: "Total?" },
    ];
    await client.complete(request({ messages, prompt: undefined, json: true }));
    expect(server.bodyOf(0).messages).toEqual(messages);
  });

  test("a trailing slash or a full /chat/completions URL both work", async () => {
    const endpoint = { url: `${server.url}/`, apiKey: server.apiKey, model: "m" };
    expect((await client.complete(request({ endpoint }))).attempts).toBe(1);
    const full = { ...endpoint, url: `${server.url}/chat/completions` };
    expect((await client.complete(request({ endpoint: full }))).attempts).toBe(1);
  });
});

describe("retries", () => {
  test("429 with Retry-After: waits at least that long, then succeeds", async () => {
    server.enqueue({
      status: 429,
      headers: { "retry-after": "1" },
      body: { error: { message: "Rate limit reached" } },
    });
    const before = await aiErrors();

    const result = await client.complete(request());

    expect(result.attempts).toBe(2);
    const [first, second] = server.requests;
    // Without Retry-After the backoff here is at most 20 ms.
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect((await aiErrors()) - before).toBe(1);
  });

  test("a Retry-After beyond the cap is cut to the cap", async () => {
    const capped = createAiClient({
      metrics: telemetry.metrics,
      logger: silentLogger,
      backoff: { maxRetryAfterMs: 150 },
    });
    server.enqueue({ status: 503, headers: { "retry-after": "3600" } });
    const started = performance.now();
    const result = await capped.complete(request());
    expect(result.attempts).toBe(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  test("500, 500, then success: three attempts, two errors counted", async () => {
    server.enqueue({ status: 500 }, { status: 500 });
    const before = await aiErrors();

    const result = await client.complete(request());

    expect(result.attempts).toBe(3);
    expect(server.requests).toHaveLength(3);
    expect((await aiErrors()) - before).toBe(2);
  });

  test("a permanent 503 fails after maxRetries + 1 attempts, each counted", async () => {
    server.enqueue(...Array.from({ length: 10 }, () => ({ status: 503 })));
    const before = await aiErrors();

    const { error } = await failure(client.complete(request({ maxRetries: 2 })));

    expect(server.requests).toHaveLength(3);
    expect(error).toMatchObject({ status: 503, code: "ai_unavailable", retryable: true });
    expect(error.message).toBe(
      "AI call failed after 3 attempts: the AI endpoint answered 503: status 503",
    );
    expect((await aiErrors()) - before).toBe(3);
  });

  test("maxRetries 0 means a single attempt", async () => {
    server.enqueue({ status: 502 });
    await failure(client.complete(request({ maxRetries: 0 })));
    expect(server.requests).toHaveLength(1);
  });

  test("a timeout is retried, then fails as ai_timeout", async () => {
    server.enqueue("hang", "hang", "hang");
    const before = await aiErrors();

    const { error, ms } = await failure(
      client.complete(request({ timeoutMs: 200, maxRetries: 1 })),
    );

    expect(server.requests).toHaveLength(2);
    expect(error).toMatchObject({ status: 504, code: "ai_timeout" });
    expect(error.message).toContain("no answer within 200 ms");
    expect(ms).toBeGreaterThanOrEqual(390);
    expect((await aiErrors()) - before).toBe(2);
  });

  test("a timeout followed by an answer succeeds", async () => {
    server.enqueue("hang");
    const result = await client.complete(request({ timeoutMs: 200 }));
    expect(result.attempts).toBe(2);
  });

  test("connection refused is retried, then fails as ai_unavailable", async () => {
    const url = server.url;
    await server.stop();
    const before = await aiErrors();

    const endpoint = { url, apiKey: "sk-test-3c1f9e2a7b5d4e6f8a0b", model: "m" };
    const { error } = await failure(client.complete(request({ endpoint, maxRetries: 2 })));

    expect(error).toMatchObject({ status: 503, code: "ai_unavailable" });
    expect(error.message).toContain("cannot reach the AI endpoint");
    expect((await aiErrors()) - before).toBe(3);
  });

  test("an outer signal cancels a call and its waits, without counting an error", async () => {
    server.enqueue("hang");
    const controller = new AbortController();
    const before = await aiErrors();
    setTimeout(() => controller.abort(new Error("job canceled")), 100);

    const started = performance.now();
    const outcome = client.complete(request({ timeoutMs: 10_000, signal: controller.signal }));
    await expect(outcome).rejects.toThrow("job canceled");
    expect(performance.now() - started).toBeLessThan(1_000);
    expect((await aiErrors()) - before).toBe(0);
  });
});

describe("failures that are not retried", () => {
  test("401 fails at once with the upstream message and without the key", async () => {
    const before = await aiErrors();
    const endpoint = { url: server.url, apiKey: "sk-live-WRONG-5f2e9c1d8b7a", model: "m" };

    const { error } = await failure(client.complete(request({ endpoint })));

    expect(server.requests).toHaveLength(1);
    expect(error).toMatchObject({ status: 422, code: "ai_request_rejected" });
    expect(error.details).toEqual({ upstreamStatus: 401 });
    // The fake echoes the whole wrong key back, as a careless upstream might.
    expect(error.message).toBe(
      "the AI endpoint answered 401: Incorrect API key provided: [redacted].",
    );
    expect(JSON.stringify(error.toJSON())).not.toContain("sk-live-WRONG-5f2e9c1d8b7a");
    expect((await aiErrors()) - before).toBe(1);
  });

  test("400 from the endpoint names the problem", async () => {
    const endpoint = { url: server.url, apiKey: server.apiKey, model: "" };
    const { error } = await failure(client.complete(request({ endpoint })));
    expect(server.requests).toHaveLength(1);
    expect(error.message).toBe("the AI endpoint answered 400: you must provide a model parameter");
  });

  test("404 (wrong base URL) is not retried", async () => {
    const endpoint = {
      url: server.url.replace(/\/v1$/, "/api"),
      apiKey: server.apiKey,
      model: "m",
    };
    const { error } = await failure(client.complete(request({ endpoint })));
    expect(error.details).toEqual({ upstreamStatus: 404 });
    expect(error.message).toContain("Invalid URL (POST /api/chat/completions)");
  });

  test("invalid JSON content is retried once, then fails as ai_invalid_json", async () => {
    server.enqueue({ content: "Sure! The total is 143.57." }, { content: "{ total: 143.57 " });
    const before = await aiErrors();

    const { error } = await failure(client.complete(request({ json: true, maxRetries: 5 })));

    expect(server.requests).toHaveLength(2);
    expect(error).toMatchObject({ status: 502, code: "ai_invalid_json", retryable: false });
    expect(error.message).toBe(
      'AI call failed after 2 attempts: JSON was requested but the answer is not JSON: "{ total: 143.57 "',
    );
    expect((await aiErrors()) - before).toBe(2);
  });

  test("invalid JSON then valid JSON succeeds on the retry", async () => {
    server.enqueue({ content: "not json" });
    const result = await client.complete(request({ json: true }));
    expect(result.attempts).toBe(2);
    expect(result.json).toMatchObject({ characters: 43 });
  });

  test("a 200 without choices is a bad response, not retried", async () => {
    server.enqueue({ status: 200, body: { id: "x", object: "chat.completion", choices: [] } });
    const { error } = await failure(client.complete(request()));
    expect(server.requests).toHaveLength(1);
    expect(error).toMatchObject({ status: 502, code: "ai_bad_response" });
  });

  test("no error message of any kind carries the key", async () => {
    const key = server.apiKey;
    server.enqueue({ status: 500, body: { error: { message: `upstream saw Bearer ${key}` } } });
    const { error } = await failure(client.complete(request({ maxRetries: 0 })));
    expect(error.message).not.toContain(key);
    expect(error.message).toContain("upstream saw Bearer [redacted]");
  });
});
