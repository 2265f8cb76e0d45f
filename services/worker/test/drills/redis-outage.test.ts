/**
 * Drill: Redis dies under a stream of logins and authenticated calls, with scripts' traffic on
 * an API key running through the kill, the outage and the return (RATE_LIMIT_FALLBACK=memory).
 * Every check must be answered by the counted fallback, limits must still hold, nothing may
 * answer 5xx, and once Redis is back the API must use it again, sharing limits between replicas.
 */

import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { tempDir, waitFor, waitForRoomInWindow } from "@crpipeline/testing";
import {
  ADMIN,
  type ApiClient,
  apiClient,
  Cleanup,
  canRunPostgres,
  canRunRedis,
  type ErrorBody,
  loginAsAdmin,
  privateS3,
  type Reply,
  redisInstance,
  report,
  type ServiceProcess,
  spawnApi,
  startPostgresCluster,
  waitForReadiness,
} from "./drills.test-utils.ts";

setDefaultTimeout(120_000);
const available = (await canRunPostgres()) && (await canRunRedis());
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** The per-account login policy: 5 attempts per 5 minutes (ratelimit DEFAULT_POLICIES). */
const ACCOUNT_LIMIT = 5;
const CALLS_DURING_OUTAGE = 10;

/** `count` logins with a wrong password for `email`; the statuses in order. */
async function badLogins(api: ApiClient, email: string, count: number): Promise<Reply[]> {
  const replies: Reply[] = [];
  for (let i = 0; i < count; i += 1) {
    replies.push(await api.call("POST", "/api/auth/login", { email, password: "wrong-password" }));
  }
  return replies;
}

const fallbacks = (service: ServiceProcess) => service.metric("rate_limit_fallback_total");

interface Load {
  /** Stops the virtual users and waits for their last calls; the statuses they got. */
  stop(): Promise<number[]>;
}

/**
 * Scripts on an API key listing documents, `users` at a time, each pausing briefly between
 * calls: the traffic a Redis outage lands in. A refused connection counts as status 0.
 */
function backgroundLoad(url: string, apiKey: string, users = 4): Load {
  const statuses: number[] = [];
  let running = true;
  const loops = Array.from({ length: users }, async () => {
    while (running) {
      const response = await fetch(`${url}/api/documents?limit=5`, {
        headers: { "x-api-key": apiKey },
      }).catch(() => null);
      statuses.push(response?.status ?? 0);
      await response?.arrayBuffer();
      await Bun.sleep(20);
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return statuses;
    },
  };
}

test.skipIf(!available)("rate limits hold through a Redis outage and use Redis again", async () => {
  const cluster = await startPostgresCluster();
  cleanup.add(() => cluster.destroy());
  const s3 = await privateS3();
  cleanup.add(() => s3.destroy());
  const redis = await redisInstance();
  await redis.start();
  cleanup.add(() => redis.kill());
  const dir = tempDir("crp-drill-redis-");
  cleanup.add(() => dir.cleanup());

  const env = {
    ...ADMIN,
    ...s3.env,
    DATA_DIR: dir.path,
    DATABASE_URL: cluster.url,
    REDIS_URL: redis.url,
    RATE_LIMIT_FALLBACK: "memory",
  };
  const first = await spawnApi(env, "api-a");
  cleanup.add(() => first.service.stop());
  // A second replica on the same Redis, to show limits are shared once Redis is back.
  const second = await spawnApi(env, "api-b");
  cleanup.add(() => second.service.stop());
  const api = await loginAsAdmin(first.url);
  const statuses: number[] = [];
  const me = async () => {
    const reply = await api.call("GET", "/api/auth/me");
    statuses.push(reply.status);
    return reply;
  };
  for (let i = 0; i < 3; i += 1) await me();
  expect(await fallbacks(first.service)).toBe(0);
  const created = await api.call<{ key: string }>("POST", "/api/api-keys", { name: "script" });
  const scriptKey = created.body.key;
  const loads: number[][] = [];

  // The victim's logins below must fall inside one account window to hit the limit exactly.
  await waitForRoomInWindow(5 * 60_000, 30_000);

  // Redis vanishes in the middle of the scripts' traffic.
  let load = backgroundLoad(first.url, scriptKey);
  await Bun.sleep(500);
  await redis.kill();
  const readiness = await waitForReadiness(first.url, 503);
  loads.push(await load.stop());

  // Every check now goes to the in-process fallback, and is counted, traffic and all.
  const before = await fallbacks(first.service);
  load = backgroundLoad(first.url, scriptKey);
  for (let i = 0; i < CALLS_DURING_OUTAGE; i += 1) await me();
  const victim = await badLogins(apiClient(first.url), "victim@drill.test", ACCOUNT_LIMIT + 1);
  statuses.push(...victim.map((r) => r.status));
  const duringOutage = await load.stop();
  loads.push(duringOutage);
  const outageFallbacks = (await fallbacks(first.service)) - before;
  // Each authenticated call is one check; each login two (per address and per account).
  const outageChecks = CALLS_DURING_OUTAGE + 2 * victim.length + duringOutage.length;

  // Redis returns on the same port, empty, under the same traffic. The API uses it again
  // without a restart.
  load = backgroundLoad(first.url, scriptKey);
  await redis.start();
  const restartedAt = performance.now();
  await waitForReadiness(first.url, 200);
  await Bun.sleep(500);
  loads.push(await load.stop());
  const settle = await waitFor(
    async () => {
      const counted = await fallbacks(first.service);
      await me();
      return (await fallbacks(first.service)) === counted ? counted : null;
    },
    { timeoutMs: 20_000, intervalMs: 100, what: "a check answered by Redis again" },
  );
  const backSeconds = (performance.now() - restartedAt) / 1000;
  for (let i = 0; i < 5; i += 1) await me();
  const afterRecovery = (await fallbacks(first.service)) - settle;
  const keys = (await redis.command("KEYS", ["crp:rl:*"])) as string[];

  // A limit used up on one replica holds on the other: the count lives in Redis.
  await waitForRoomInWindow(5 * 60_000, 15_000);
  const onFirst = await badLogins(apiClient(first.url), "shared@drill.test", ACCOUNT_LIMIT);
  const [onSecond] = await badLogins(apiClient(second.url), "shared@drill.test", 1);
  statuses.push(...onFirst.map((r) => r.status), onSecond?.status ?? 0);
  const secondFallbacks = await fallbacks(second.service);
  const serverErrors = statuses.filter((s) => s >= 500).length;
  const loadCalls = loads.map((l) => l.length);
  const loadFailures = loads.flat().filter((status) => status !== 200 && status !== 429);

  report(
    "redis-outage",
    `script traffic ${loadCalls.join("/")} calls before+at the kill/during/at the return ` +
      `(${loadFailures.length} failed, ${loads.flat().filter((x) => x === 429).length} 429); ` +
      `Redis killed: /readyz 503 (redis: "${readiness.checks.redis}"), ` +
      `${CALLS_DURING_OUTAGE} calls + ${victim.length} logins + ${duringOutage.length} ` +
      `script calls → ${outageChecks} checks, ` +
      `rate_limit_fallback_total +${outageFallbacks}, account limit during outage ` +
      `[${victim.map((r) => r.status).join(",")}], ${serverErrors} responses 5xx; Redis back: ` +
      `answering again after ${backSeconds.toFixed(2)} s, +${afterRecovery} fallbacks in the ` +
      `next 5 calls, ${keys.length} limiter keys in Redis; shared limit: ` +
      `api-a [${onFirst.map((r) => r.status).join(",")}] → api-b ${onSecond?.status} ` +
      `(api-b fallbacks ${secondFallbacks})`,
  );

  expect(readiness.checks.redis).not.toBe("ok");
  expect(outageFallbacks).toBe(outageChecks);
  expect(victim.map((r) => r.status)).toEqual([...Array(ACCOUNT_LIMIT).fill(401), 429]);
  const limited = victim.at(-1) as Reply<ErrorBody>;
  expect(limited.body.error?.code).toBe("rate_limited");
  expect(limited.headers.get("retry-after")).toMatch(/^\d+$/);
  expect(serverErrors).toBe(0);
  for (const calls of loadCalls) expect(calls).toBeGreaterThan(0);
  expect(loadFailures).toEqual([]);
  expect(afterRecovery).toBe(0);
  expect(keys.length).toBeGreaterThan(0);
  expect(onFirst.map((r) => r.status)).toEqual(Array(ACCOUNT_LIMIT).fill(401));
  expect(onSecond?.status).toBe(429);
  expect(secondFallbacks).toBe(0);
  expect(first.service.exitCode()).toBeNull();
});
