import { afterAll, afterEach, beforeEach, describe, expect, test } from "bun:test";
import { silentLogger } from "@crpipeline/log";
import { aiStageSchema } from "@crpipeline/pipeline";
import { createTestTelemetry } from "@crpipeline/telemetry";
import { createAiClient } from "./client.ts";
import { resolveAiEndpoint } from "./endpoint.ts";
import { type FakeOpenAi, startFakeOpenAi } from "./fake-openai.test-utils.ts";
import { runAiStage } from "./stage.ts";

const telemetry = createTestTelemetry();
const client = createAiClient({ metrics: telemetry.metrics, logger: silentLogger });
const input = {
  text: "ACME Supplies GmbH\nTotal due EUR 143.57",
  parsed: { regex: { total: ["143.57"] } },
  document: { name: "invoice-0117.pdf", contentType: "application/pdf" },
};

let server: FakeOpenAi;
beforeEach(() => {
  server = startFakeOpenAi();
});
afterEach(() => server.stop());
afterAll(() => telemetry.shutdown());

const endpointFor = (fake: FakeOpenAi) =>
  resolveAiEndpoint({
    config: { aiApiUrl: fake.url, aiApiKey: fake.apiKey, aiModel: "gpt-4o-mini" },
    stage: {},
  });

describe("runAiStage", () => {
  test("renders the stage prompt, calls the endpoint and returns the stored output", async () => {
    const stage = aiStageSchema.parse({
      type: "ai",
      prompt: "Document {{document.name}} says: {{text}} (total {{parsed.regex.total.0}})",
    });

    const result = await runAiStage({ stage, input, endpoint: endpointFor(server), client });

    const prompt =
      "Document invoice-0117.pdf says: ACME Supplies GmbH\nTotal due EUR 143.57 (total 143.57)";
    expect(result.contentType).toBe("application/json");
    expect(result.output).toEqual({
      content: `Echo: ${prompt}`,
      model: "gpt-4o-mini-2024-07-18",
      usage: expect.objectContaining({ totalTokens: expect.any(Number) }),
    });
    expect(server.requests[0]?.body).toEqual({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: prompt }],
    });
  });

  test("promptName uses the organisation's template; json gives a parsed object", async () => {
    const stage = aiStageSchema.parse({
      type: "ai",
      promptName: "extract",
      json: true,
      model: "gpt-4.1",
    });
    const promptTemplates = { extract: "Return the total of {{document.name}} as JSON." };

    const { output } = await runAiStage({
      stage,
      input,
      endpoint: resolveAiEndpoint({
        config: { aiApiUrl: server.url, aiApiKey: server.apiKey, aiModel: "gpt-4o-mini" },
        stage,
      }),
      client,
      promptTemplates,
    });

    expect(output.json).toEqual({
      echo: "Return the total of invoice-0117.pdf as JSON.",
      characters: 45,
    });
    expect(server.bodyOf(0).model).toBe("gpt-4.1");
  });

  test("a missing template or placeholder value fails before any call", async () => {
    const endpoint = endpointFor(server);
    const byName = aiStageSchema.parse({ type: "ai", promptName: "nope" });
    await expect(runAiStage({ stage: byName, input, endpoint, client })).rejects.toThrow(
      'Prompt template "nope" is not defined',
    );

    const needsPrevious = aiStageSchema.parse({ type: "ai", prompt: "{{previous.2.text}}" });
    await expect(runAiStage({ stage: needsPrevious, input, endpoint, client })).rejects.toThrow(
      "Prompt placeholder {{previous.2.text}} has no value",
    );
    expect(server.requests).toHaveLength(0);
  });

  test("the stage's retries and timeout reach the client", async () => {
    server.enqueue({ status: 503 }, { status: 503 });
    const stage = aiStageSchema.parse({ type: "ai", prompt: "{{text}}", maxRetries: 1 });
    const fast = createAiClient({
      metrics: telemetry.metrics,
      logger: silentLogger,
      backoff: { baseMs: 5 },
    });
    await expect(
      runAiStage({ stage, input, endpoint: endpointFor(server), client: fast }),
    ).rejects.toMatchObject({ status: 503, code: "ai_unavailable" });
    expect(server.requests).toHaveLength(2);
  });
});
