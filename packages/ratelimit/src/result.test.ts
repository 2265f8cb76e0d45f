import { describe, expect, test } from "bun:test";
import { AppError } from "@crpipeline/errors";
import { type RateLimitResult, rateLimitedError, rateLimitHeaders } from "./result.ts";

const now = 1_700_000_000_000;
const allowed: RateLimitResult = {
  success: true,
  limit: 10,
  remaining: 7,
  reset: now + 42_500,
  retryAfterSeconds: 0,
  source: "redis",
};
const denied: RateLimitResult = { ...allowed, success: false, remaining: 0, retryAfterSeconds: 43 };

describe("rate-limit headers", () => {
  test("allowed: RateLimit-* only, reset in whole seconds from now", () => {
    expect(rateLimitHeaders(allowed, now)).toEqual({
      "RateLimit-Limit": "10",
      "RateLimit-Remaining": "7",
      "RateLimit-Reset": "43",
    });
  });

  test("denied: Retry-After too", () => {
    expect(rateLimitHeaders(denied, now)["Retry-After"]).toBe("43");
  });

  test("a reset in the past never goes negative", () => {
    expect(rateLimitHeaders({ ...allowed, reset: now - 5_000 }, now)["RateLimit-Reset"]).toBe("0");
  });

  test("rateLimitedError is a 429 rate_limited carrying the headers", () => {
    const error = rateLimitedError(denied, "Too many login attempts");
    expect(error).toBeInstanceOf(AppError);
    expect(error.status).toBe(429);
    expect(error.code).toBe("rate_limited");
    expect(error.message).toBe("Too many login attempts");
    expect(error.headers["Retry-After"]).toBe("43");
    expect(error.headers["RateLimit-Limit"]).toBe("10");
    expect(error.toJSON().error.code).toBe("rate_limited");
  });
});
