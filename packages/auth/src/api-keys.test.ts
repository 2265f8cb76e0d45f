import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { AppError } from "@crpipeline/errors";
import { apiKeyMatches, generateApiKey, hashApiKey, parseApiKey } from "./api-keys.ts";

describe("API keys", () => {
  test("format, prefix and hash", () => {
    const { key, prefix, hash } = generateApiKey();
    expect(key).toMatch(/^crp_[0-9a-f]{8}_[0-9a-f]{64}$/);
    expect(key.startsWith(`crp_${prefix}_`)).toBe(true);
    expect(hash).toBe(createHash("sha256").update(key).digest("hex"));
    expect(hashApiKey(key)).toBe(hash);
    expect(generateApiKey().key).not.toBe(key);
  });

  test("parse accepts a generated key, trimmed", () => {
    const { key, prefix } = generateApiKey();
    expect(parseApiKey(` ${key} `)).toEqual({ key, prefix });
  });

  test("parse refuses malformed values with 401 api_key_malformed", () => {
    const { key } = generateApiKey();
    const bad = [
      undefined,
      null,
      "",
      key.toUpperCase(),
      key.slice(0, -1),
      `${key}0`,
      key.replace("crp_", "crx_"),
      `Bearer ${key}`,
    ];
    for (const value of bad) {
      let caught: unknown;
      try {
        parseApiKey(value);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(AppError);
      expect((caught as AppError).status).toBe(401);
      expect((caught as AppError).code).toBe("api_key_malformed");
    }
  });

  test("apiKeyMatches compares against the stored hash", () => {
    const one = generateApiKey();
    const two = generateApiKey();
    expect(apiKeyMatches(one.key, one.hash)).toBe(true);
    expect(apiKeyMatches(two.key, one.hash)).toBe(false);
    expect(apiKeyMatches(one.key, "")).toBe(false);
    expect(apiKeyMatches(one.key, "zz")).toBe(false);
  });
});
