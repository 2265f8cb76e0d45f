import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Config } from "@crpipeline/config";
import { silentLogger } from "@crpipeline/log";
import { createTestTelemetry, sampleValue } from "@crpipeline/telemetry";
import { freePort, REDIS_URL, requireCommand, requireService, waitFor } from "@crpipeline/testing";
import { createRateLimiter, type RateLimiter } from "./limiter.ts";
import { type RedisServer, redisCommand, redisServer } from "./redis-server.test-utils.ts";
import type { RateLimitResult } from "./result.ts";

const hasRedis = await requireService("redis", () => redisCommand(REDIS_URL, "PING", []));
const hasServer = await requireCommand("redis-server");

const telemetry = createTestTelemetry();
const fallbacks = async () => sampleValue(await telemetry.scrape(), "rate_limit_fallback_total");
const prefix = `crp-test:limiter:${crypto.randomUUID()}`;
const limiters: RateLimiter[] = [];

afterAll(async () => {
  for (const limiter of limiters) limiter.close();
  await telemetry.shutdown();
  if (!hasRedis) return;
  const keys = (await redisCommand(REDIS_URL, "KEYS", [`${prefix}*`])) as string[];
  if (keys.length > 0) await redisCommand(REDIS_URL, "DEL", keys);
});

// An hour-long window: a test never straddles a window edge, where sliding counts shift by one.
const POLICY = { limit: 3, windowMs: 3_600_000 };

function limiter(redisUrl: string, fallback: Config["rateLimitFallback"] = "memory") {
  const created = createRateLimiter({
    config: {
      redisUrl,
      upstashUrl: undefined,
      upstashToken: undefined,
      rateLimitFallback: fallback,
    },
    metrics: telemetry.metrics,
    logger: silentLogger,
    policies: { test: POLICY },
    keyPrefix: prefix,
    redisTimeoutMs: 250,
    redisRetryDelayMs: 100,
  });
  limiters.push(created);
  return created;
}

async function timed(check: Promise<RateLimitResult>) {
  const started = performance.now();
  const result = await check;
  return { ...result, ms: performance.now() - started };
}

describe.skipIf(!hasRedis)("rate limiter on the machine's Redis", () => {
  test("the limit is shared by two limiters (two API replicas)", async () => {
    const [a, b] = [limiter(REDIS_URL), limiter(REDIS_URL)];
    const id = crypto.randomUUID();
    const before = await fallbacks();

    const answers = [
      await a.limit("test", id),
      await b.limit("test", id),
      await a.limit("test", id),
      await b.limit("test", id),
    ];
    expect(answers.map((r) => r.success)).toEqual([true, true, true, false]);
    expect(answers.map((r) => r.remaining)).toEqual([2, 1, 0, 0]);
    expect(answers.every((r) => r.source === "redis" && r.limit === 3)).toBe(true);
    expect(await fallbacks()).toBe(before);
  });

  test("reset is the end of the current window; retry-after only when denied", async () => {
    const a = limiter(REDIS_URL);
    const id = crypto.randomUUID();
    const now = Date.now();
    const first = await a.limit("test", id);
    expect(first.reset).toBeGreaterThan(now);
    expect(first.reset).toBeLessThanOrEqual(now + POLICY.windowMs);
    expect(first.reset % POLICY.windowMs).toBe(0);
    expect(first.retryAfterSeconds).toBe(0);
    await a.limit("test", id);
    await a.limit("test", id);
    const denied = await a.limit("test", id);
    const expected = Math.ceil((denied.reset - Date.now()) / 1000);
    expect(denied.retryAfterSeconds).toBeGreaterThanOrEqual(expected);
    expect(denied.retryAfterSeconds).toBeLessThanOrEqual(expected + 1);
  });

  test("a Redis nobody listens on: fallback answers, counted once per check", async () => {
    const dead = `redis://127.0.0.1:${await freePort()}`;
    const memory = limiter(dead, "memory");
    const id = crypto.randomUUID();
    const before = await fallbacks();

    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await timed(memory.limit("test", id)));
    expect(answers.map((r) => r.success)).toEqual([true, true, true, false]);
    expect(answers.every((r) => r.source === "fallback")).toBe(true);
    expect(Math.max(...answers.map((r) => r.ms))).toBeLessThan(2_000);
    expect(await fallbacks()).toBe(before + 4);

    const deny = await timed(limiter(dead, "deny").limit("test", id));
    expect(deny).toMatchObject({ success: false, source: "fallback", retryAfterSeconds: 5 });
    const allow = await timed(limiter(dead, "allow").limit("test", id));
    expect(allow).toMatchObject({ success: true, source: "fallback" });
    expect(Math.max(deny.ms, allow.ms)).toBeLessThan(2_000);
    expect(await fallbacks()).toBe(before + 6);
  });
});

describe.skipIf(!hasServer)("rate limiter across a Redis outage", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await redisServer();
    await server.start();
  });
  afterAll(() => server.stop());

  test("hung, killed, restarted: fallback while down, shared Redis again after", async () => {
    const [a, b] = [limiter(server.url), limiter(server.url)];
    const shared = async (id: string) => [
      await a.limit("test", id),
      await b.limit("test", id),
      await a.limit("test", id),
      await b.limit("test", id),
    ];
    const before = await fallbacks();
    expect((await shared("up-1")).map((r) => [r.success, r.source])).toEqual([
      [true, "redis"],
      [true, "redis"],
      [true, "redis"],
      [false, "redis"],
    ]);

    // A Redis that accepts the command and does not answer: the check must not wait for it.
    await redisCommand(server.url, "CLIENT", ["PAUSE", "1000", "ALL"]);
    const hung = await timed(a.limit("test", "hung"));
    expect(hung).toMatchObject({ success: true, source: "fallback" });
    expect(hung.ms).toBeLessThan(2_000);
    expect(await fallbacks()).toBe(before + 1);
    await Bun.sleep(1_000);

    await server.stop();
    const down = [];
    for (let i = 0; i < 4; i++) down.push(await timed(a.limit("test", "down")));
    expect(down.map((r) => [r.success, r.source])).toEqual([
      [true, "fallback"],
      [true, "fallback"],
      [true, "fallback"],
      [false, "fallback"],
    ]);
    expect(Math.max(...down.map((r) => r.ms))).toBeLessThan(2_000);
    expect(await fallbacks()).toBe(before + 5);

    // The same limiter objects, no restart of the app: they find Redis again by themselves.
    await server.start();
    await waitFor(async () => (await a.limit("test", "probe-a")).source === "redis", {
      what: "limiter a back on Redis",
    });
    await waitFor(async () => (await b.limit("test", "probe-b")).source === "redis", {
      what: "limiter b back on Redis",
    });
    const settled = await fallbacks();
    expect((await shared("up-2")).map((r) => [r.success, r.source])).toEqual([
      [true, "redis"],
      [true, "redis"],
      [true, "redis"],
      [false, "redis"],
    ]);
    expect(await fallbacks()).toBe(settled);
  });
});
