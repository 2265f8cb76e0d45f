import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { REDIS_URL, requireCommand, requireService } from "@crpipeline/testing";
import { Ratelimit } from "@upstash/ratelimit";
import { createRedisAdapter, RedisUnavailableError } from "./redis-adapter.ts";
import { type RedisServer, redisCommand, redisServer } from "./redis-server.test-utils.ts";

const hasRedis = await requireService("redis", () => redisCommand(REDIS_URL, "PING", []));
const hasServer = await requireCommand("redis-server");
const prefix = `crp-test:adapter:${crypto.randomUUID()}`;

// The library's own script text, obtained the way the library sends it: through eval.
async function libraryScript(): Promise<{ text: string; hash: string }> {
  let seen: { text: string; hash: string } | undefined;
  const recorder = {
    evalsha: async (hash: string) => {
      seen = { text: "", hash };
      throw new Error("NOSCRIPT");
    },
    eval: async (text: string) => {
      if (seen) seen.text = text;
      return [0, 1];
    },
    get: async () => null,
    set: async () => "OK" as const,
  };
  const ratelimit = new Ratelimit({
    redis: recorder,
    limiter: Ratelimit.slidingWindow(1, "1 m"),
    ephemeralCache: false,
    enableTelemetry: false,
  });
  await ratelimit.limit("x");
  if (!seen?.text) throw new Error("the library did not send a script");
  return seen;
}

describe.skipIf(!hasRedis)("Redis adapter on the machine's Redis", () => {
  afterAll(async () => {
    const keys = (await redisCommand(REDIS_URL, "KEYS", [`${prefix}*`])) as string[];
    if (keys.length > 0) await redisCommand(REDIS_URL, "DEL", keys);
  });

  test("stock Redis refuses the library's script as shipped (the trap is real)", async () => {
    const { text } = await libraryScript();
    expect(text.startsWith("#!lua flags=")).toBe(true);
    await expect(redisCommand(REDIS_URL, "EVAL", [text, "0"])).rejects.toThrow(/shebang/);
  });

  test("the adapter strips the flag line and maps the library's hash", async () => {
    const { text, hash } = await libraryScript();
    expect(hash).toBe(new Bun.CryptoHasher("sha1").update(text).digest("hex"));
    const adapter = createRedisAdapter({
      url: REDIS_URL,
      commandTimeoutMs: 500,
      retryDelayMs: 100,
    });
    const keys = [`${prefix}:a:1`, `${prefix}:a:0`];
    const args = [2, Date.now(), 60_000, 1];
    try {
      // Unknown hash: NOSCRIPT, so the library falls back to eval with the text.
      await expect(adapter.evalsha(hash, keys, args)).rejects.toThrow(/NOSCRIPT/);
      expect(await adapter.eval<unknown[], number[]>(text, keys, args)).toEqual([1, 2]);
      // Known hash now: EVALSHA with the stripped script's sha1, which Redis has cached.
      expect(await adapter.evalsha<unknown[], number[]>(hash, keys, args)).toEqual([0, 2]);
      expect(await adapter.evalsha<unknown[], number[]>(hash, keys, args)).toEqual([-1, 2]);
    } finally {
      adapter.close();
    }
  });

  test("get and set work for the library's dynamic-limit calls", async () => {
    const adapter = createRedisAdapter({
      url: REDIS_URL,
      commandTimeoutMs: 500,
      retryDelayMs: 100,
    });
    try {
      expect(await adapter.set(`${prefix}:dyn`, 120)).toBe("OK");
      expect(await adapter.get<string>(`${prefix}:dyn`)).toBe("120");
      expect(await adapter.get(`${prefix}:missing`)).toBeNull();
    } finally {
      adapter.close();
    }
  });
});

describe.skipIf(!hasServer)("Redis adapter across a Redis restart", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await redisServer();
    await server.start();
  });
  afterAll(() => server.stop());

  test("a flushed script cache is refilled; a dead Redis fails fast; a new one is used", async () => {
    const { text, hash } = await libraryScript();
    const adapter = createRedisAdapter({
      url: server.url,
      commandTimeoutMs: 300,
      retryDelayMs: 200,
    });
    const run = () =>
      adapter.evalsha<unknown[], number[]>(hash, ["k:1", "k:0"], [100, Date.now(), 60_000, 1]);
    try {
      await adapter.eval(text, ["k:1", "k:0"], [100, Date.now(), 60_000, 1]);
      await redisCommand(server.url, "SCRIPT", ["FLUSH"]);
      expect((await run())[0]).toBe(98);

      await server.stop();
      const started = performance.now();
      await expect(run()).rejects.toThrow();
      // Within the retry delay the adapter does not even try.
      await expect(run()).rejects.toBeInstanceOf(RedisUnavailableError);
      expect(performance.now() - started).toBeLessThan(1_000);

      // Bun's own client would stay failed here; the adapter builds a new one.
      await server.start();
      await Bun.sleep(250);
      expect((await run())[0]).toBe(99);
      await adapter.ping();
    } finally {
      adapter.close();
    }
  });
});
