/**
 * The rate limiter the API calls: @upstash/ratelimit's sliding window over Upstash REST or a
 * real Redis, or the in-process limiter when neither is configured. When the shared store fails
 * or is slow, the check is answered per RATE_LIMIT_FALLBACK and counted in
 * `rate_limit_fallback_total`.
 */

import type { Config } from "@crpipeline/config";
import { unavailable } from "@crpipeline/errors";
import type { Logger } from "@crpipeline/log";
import type { Metrics } from "@crpipeline/telemetry";
import { Ratelimit } from "@upstash/ratelimit";
import { Redis as UpstashRedis } from "@upstash/redis";
import { createMemoryLimiter } from "./memory.ts";
import {
  DEFAULT_POLICIES,
  type PolicyName,
  type RateLimitPolicy,
  validatePolicies,
} from "./policies.ts";
import { createRedisAdapter } from "./redis-adapter.ts";
import { type RateLimitResult, retryAfterSeconds } from "./result.ts";

export type RateLimitBackend = "redis" | "upstash" | "memory";

export interface RateLimiter {
  readonly backend: RateLimitBackend;
  limit(policy: PolicyName, identifier: string): Promise<RateLimitResult>;
  /** Throws a 503 AppError when the configured shared store does not answer; for /readyz. */
  ready(): Promise<void>;
  close(): void;
}

export interface RateLimiterDeps {
  config: Pick<Config, "redisUrl" | "upstashUrl" | "upstashToken" | "rateLimitFallback">;
  metrics: Metrics;
  logger: Logger;
  /** Merged over the defaults (`login-ip`, `login-account`, `api`). */
  policies?: Record<string, RateLimitPolicy>;
  /** Key namespace in Redis; tests use a unique one per run. */
  keyPrefix?: string;
  /** Upper bound for one Redis command. */
  redisTimeoutMs?: number;
  /** After a Redis failure, checks go straight to the fallback for this long. */
  redisRetryDelayMs?: number;
  /** How long `deny` mode tells callers to wait. */
  denyRetryAfterSeconds?: number;
}

interface SharedStore {
  backend: "redis" | "upstash";
  ping(): Promise<unknown>;
  close(): void;
  ratelimit(policy: string): Ratelimit;
}

export function createRateLimiter(deps: RateLimiterDeps): RateLimiter {
  const { config, metrics, logger } = deps;
  const policies: Record<string, RateLimitPolicy> = { ...DEFAULT_POLICIES, ...deps.policies };
  validatePolicies(policies);
  const keyPrefix = deps.keyPrefix ?? "crp:rl";
  const timeoutMs = deps.redisTimeoutMs ?? 300;
  const denySeconds = deps.denyRetryAfterSeconds ?? 5;

  const memory = createMemoryLimiter();
  const store = createSharedStore(deps, policies, keyPrefix, timeoutMs);
  let degraded = false;

  const fromMemory = (policy: string, key: string, source: "memory" | "fallback") => {
    const spec = policies[policy] as RateLimitPolicy;
    const now = Date.now();
    const { success, remaining, reset } = memory.check(`${policy}:${key}`, spec);
    return {
      success,
      limit: spec.limit,
      remaining,
      reset,
      retryAfterSeconds: retryAfterSeconds(success, reset, now),
      source,
    } satisfies RateLimitResult;
  };

  const fallback = (policy: string, key: string, reason: unknown): RateLimitResult => {
    metrics.rateLimitFallback();
    if (!degraded) {
      degraded = true;
      logger.warn(
        { backend: store?.backend, mode: config.rateLimitFallback, error: reason },
        "rate-limit store failed; answering from the fallback",
      );
    }
    const spec = policies[policy] as RateLimitPolicy;
    const now = Date.now();
    switch (config.rateLimitFallback) {
      case "memory":
        return fromMemory(policy, key, "fallback");
      case "deny":
        return {
          success: false,
          limit: spec.limit,
          remaining: 0,
          reset: now + denySeconds * 1000,
          retryAfterSeconds: denySeconds,
          source: "fallback",
        };
      case "allow":
        return {
          success: true,
          limit: spec.limit,
          remaining: spec.limit,
          reset: now + spec.windowMs,
          retryAfterSeconds: 0,
          source: "fallback",
        };
    }
  };

  return {
    backend: store?.backend ?? "memory",

    async limit(policy, identifier) {
      if (!policies[policy]) throw new Error(`unknown rate-limit policy "${policy}"`);
      // Hashed so keys never hold e-mails or addresses and stay short.
      const key = new Bun.CryptoHasher("sha256").update(identifier).digest("hex").slice(0, 32);
      if (!store) return fromMemory(policy, key, "memory");

      let answer: Awaited<ReturnType<Ratelimit["limit"]>>;
      try {
        answer = await store.ratelimit(policy).limit(key);
      } catch (error) {
        return fallback(policy, key, error);
      }
      // The library gave up waiting and would let the call through: that is a failure too.
      if (answer.reason === "timeout") return fallback(policy, key, "timed out");

      if (degraded) {
        degraded = false;
        logger.info({ backend: store.backend }, "rate-limit store answers again");
      }
      return {
        success: answer.success,
        limit: answer.limit,
        remaining: answer.remaining,
        reset: answer.reset,
        retryAfterSeconds: retryAfterSeconds(answer.success, answer.reset, Date.now()),
        source: store.backend,
      };
    },

    async ready() {
      if (!store) return;
      try {
        await store.ping();
      } catch (error) {
        throw unavailable(store.backend === "upstash" ? "Upstash Redis" : "Redis", error);
      }
    },

    close() {
      store?.close();
    },
  };
}

function createSharedStore(
  deps: RateLimiterDeps,
  policies: Record<string, RateLimitPolicy>,
  keyPrefix: string,
  timeoutMs: number,
): SharedStore | undefined {
  const { config, logger } = deps;
  let redis: ConstructorParameters<typeof Ratelimit>[0]["redis"];
  let backend: SharedStore["backend"];
  let ping: () => Promise<unknown>;
  let close = () => {};

  if (config.upstashUrl && config.upstashToken) {
    const upstash = new UpstashRedis({
      url: config.upstashUrl,
      token: config.upstashToken,
      // Failures go to our fallback at once instead of being retried with backoff.
      retry: false,
      signal: () => AbortSignal.timeout(timeoutMs),
      enableTelemetry: false,
    });
    redis = upstash;
    backend = "upstash";
    ping = () => upstash.ping();
  } else if (config.redisUrl) {
    const adapter = createRedisAdapter({
      url: config.redisUrl,
      commandTimeoutMs: timeoutMs,
      retryDelayMs: deps.redisRetryDelayMs ?? 1_000,
      onClientDropped: (reason) => logger.debug({ error: reason }, "Redis client dropped"),
    });
    redis = adapter;
    backend = "redis";
    ping = () => adapter.ping();
    close = () => adapter.close();
  } else {
    return undefined;
  }

  const limiters = new Map<string, Ratelimit>();
  for (const [name, { limit, windowMs }] of Object.entries(policies)) {
    const ratelimit = new Ratelimit({
      redis,
      limiter: Ratelimit.slidingWindow(limit, `${windowMs} ms`),
      prefix: `${keyPrefix}:${name}`,
      // EVALSHA, NOSCRIPT, EVAL: up to two bounded commands, plus slack.
      timeout: timeoutMs * 2 + 100,
      analytics: false,
      // The library's local block list only forgets an identifier that comes back; skip it.
      ephemeralCache: false,
      enableTelemetry: false,
    });
    limiters.set(name, ratelimit);
  }

  return {
    backend,
    ping,
    close,
    ratelimit: (policy) => limiters.get(policy) as Ratelimit,
  };
}
