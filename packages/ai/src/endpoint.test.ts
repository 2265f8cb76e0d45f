import { describe, expect, test } from "bun:test";
import { AI_NOT_CONFIGURED_MESSAGE, resolveAiEndpoint, resolvePromptTemplate } from "./endpoint.ts";

const server = {
  aiApiUrl: "https://ai.internal/v1",
  aiApiKey: "sk-server",
  aiModel: "gpt-4o-mini",
};
const unset = { aiApiUrl: undefined, aiApiKey: undefined, aiModel: "gpt-4o-mini" };

describe("resolveAiEndpoint", () => {
  test("not configured anywhere: 422 with the exact message", () => {
    const resolve = () => resolveAiEndpoint({ config: unset, orgSettings: {}, stage: {} });
    expect(resolve).toThrow(
      expect.objectContaining({
        status: 422,
        code: "ai_not_configured",
        message: "AI endpoint not configured: set AI_API_URL or the organisation's AI endpoint",
      }),
    );
    expect(AI_NOT_CONFIGURED_MESSAGE).toBe(
      "AI endpoint not configured: set AI_API_URL or the organisation's AI endpoint",
    );
    // A model alone does not make an endpoint.
    expect(() =>
      resolveAiEndpoint({ config: unset, orgSettings: { aiEndpoint: { model: "x" } }, stage: {} }),
    ).toThrow(AI_NOT_CONFIGURED_MESSAGE);
  });

  test("the server's endpoint, key and model by default", () => {
    expect(resolveAiEndpoint({ config: server, stage: {} })).toEqual({
      url: "https://ai.internal/v1",
      apiKey: "sk-server",
      model: "gpt-4o-mini",
    });
  });

  test("the stage's model wins over the organisation's, which wins over AI_MODEL", () => {
    const orgSettings = { aiEndpoint: { model: "org-model" } };
    expect(resolveAiEndpoint({ config: server, orgSettings, stage: {} }).model).toBe("org-model");
    expect(
      resolveAiEndpoint({ config: server, orgSettings, stage: { model: "stage-model" } }).model,
    ).toBe("stage-model");
  });

  test("an organisation's own URL gets its own key, never the server's", () => {
    const own = resolveAiEndpoint({
      config: server,
      orgSettings: { aiEndpoint: { url: "https://llm.tenant.example/v1" } },
      stage: {},
    });
    expect(own).toEqual({ url: "https://llm.tenant.example/v1", model: "gpt-4o-mini" });

    const withKey = resolveAiEndpoint({
      config: unset,
      orgSettings: { aiEndpoint: { url: "https://llm.tenant.example/v1", apiKey: "sk-tenant" } },
      stage: {},
    });
    expect(withKey.apiKey).toBe("sk-tenant");
  });

  test("an organisation key alone is used with the server's URL", () => {
    const endpoint = resolveAiEndpoint({
      config: server,
      orgSettings: { aiEndpoint: { apiKey: "sk-tenant" } },
      stage: {},
    });
    expect(endpoint).toEqual({ url: server.aiApiUrl, apiKey: "sk-tenant", model: "gpt-4o-mini" });
  });
});

describe("resolvePromptTemplate", () => {
  const prompts = { "invoice-summary": "Summarise {{text}}" };

  test("the stage's own prompt, or the organisation's template by name", () => {
    expect(resolvePromptTemplate({ prompt: "Hi {{text}}" }, prompts)).toBe("Hi {{text}}");
    expect(resolvePromptTemplate({ promptName: "invoice-summary" }, prompts)).toBe(
      "Summarise {{text}}",
    );
  });

  test("a missing name is a 422 naming it; inherited object keys are not templates", () => {
    expect(() => resolvePromptTemplate({ promptName: "contract-review" }, prompts)).toThrow(
      expect.objectContaining({
        status: 422,
        code: "prompt_not_found",
        message: `Prompt template "contract-review" is not defined in the organisation's settings`,
      }),
    );
    expect(() => resolvePromptTemplate({ promptName: "toString" }, prompts)).toThrow(
      'Prompt template "toString"',
    );
  });

  test("neither prompt nor promptName is a 400", () => {
    expect(() => resolvePromptTemplate({}, prompts)).toThrow(
      expect.objectContaining({ status: 400 }),
    );
  });
});
