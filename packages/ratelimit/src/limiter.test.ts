import { afterAll, describe, expect, test } from "bun:test";
import { silentLogger } from "@crpipeline/log";
import { createTestTelemetry, sampleValue } from "@crpipeline/telemetry";
import { freePort } from "@crpipeline/testing";
import { createRateLimiter } from "./limiter.ts";

const telemetry = createTestTelemetry();
afterAll(() => telemetry.shutdown());
const fallbacks = async () => sampleValue(await telemetry.scrape(), "rate_limit_fallback_total");

const noStores = {
  redisUrl: undefined,
  upstashUrl: undefined,
  upstashToken: undefined,
  rateLimitFallback: "memory" as const,
};

describe("rate limiter without Redis (in-process)", () => {
  test("enforces the policy and is not counted as a fallback", async () => {
    const limiter = createRateLimiter({
      config: noStores,
      metrics: telemetry.metrics,
      logger: silentLogger,
      policies: { tiny: { limit: 2, windowMs: 60_000 } },
    });
    const before = await fallbacks();
    expect(limiter.backend).toBe("memory");
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await limiter.limit("tiny", "someone"));
    expect(answers.map((a) => a.success)).toEqual([true, true, false]);
    expect(answers.every((a) => a.source === "memory")).toBe(true);
    expect(answers[2]?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(await limiter.limit("tiny", "someone else")).toMatchObject({ success: true });
    expect(await fallbacks()).toBe(before);
    await limiter.ready();
  });

  test("default policies are there and can be overridden", async () => {
    const limiter = createRateLimiter({
      config: noStores,
      metrics: telemetry.metrics,
      logger: silentLogger,
      policies: { api: { limit: 1, windowMs: 1_000 } },
    });
    expect((await limiter.limit("login-ip", "1.2.3.4")).limit).toBe(10);
    expect((await limiter.limit("login-account", "a@b.c")).limit).toBe(5);
    expect((await limiter.limit("api", "u1")).limit).toBe(1);
  });

  test("an unknown policy or a bad policy is a programming error", async () => {
    const limiter = createRateLimiter({
      config: noStores,
      metrics: telemetry.metrics,
      logger: silentLogger,
    });
    await expect(limiter.limit("nope", "x")).rejects.toThrow(/unknown rate-limit policy/);
    expect(() =>
      createRateLimiter({
        config: noStores,
        metrics: telemetry.metrics,
        logger: silentLogger,
        policies: { bad: { limit: 0, windowMs: 1000 } },
      }),
    ).toThrow(/positive integer/);
  });
});

// There is no Upstash server here, and faking one would only test the fake. What can be checked
// honestly: the Upstash settings select the Upstash client, and a dead endpoint falls back fast.
describe("rate limiter with Upstash settings", () => {
  test("selects Upstash, and an unreachable endpoint is answered by the fallback", async () => {
    const port = await freePort();
    const limiter = createRateLimiter({
      config: {
        ...noStores,
        // Upstash wins when both are set.
        redisUrl: "redis://127.0.0.1:1",
        upstashUrl: `http://127.0.0.1:${port}`,
        upstashToken: "token",
      },
      metrics: telemetry.metrics,
      logger: silentLogger,
      policies: { tiny: { limit: 1, windowMs: 60_000 } },
    });
    expect(limiter.backend).toBe("upstash");

    const before = await fallbacks();
    const started = performance.now();
    const first = await limiter.limit("tiny", "u");
    const second = await limiter.limit("tiny", "u");
    expect(performance.now() - started).toBeLessThan(2_000);
    expect([first.source, second.source]).toEqual(["fallback", "fallback"]);
    expect([first.success, second.success]).toEqual([true, false]);
    expect(await fallbacks()).toBe(before + 2);

    const error = await limiter.ready().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ status: 503, code: "dependency_unavailable" });
  });
});
