/**
 * Rate limiting: named sliding-window policies over Redis, Upstash or the process, with fallback.
 */

export {
  createRateLimiter,
  type RateLimitBackend,
  type RateLimiter,
  type RateLimiterDeps,
} from "./limiter.ts";
export { createMemoryLimiter, type MemoryCheck, type MemoryLimiter } from "./memory.ts";
export {
  DEFAULT_POLICIES,
  type DefaultPolicyName,
  type PolicyName,
  type RateLimitPolicy,
} from "./policies.ts";
export {
  createRedisAdapter,
  type RedisAdapter,
  type RedisAdapterOptions,
  RedisUnavailableError,
} from "./redis-adapter.ts";
export { type RateLimitResult, rateLimitedError, rateLimitHeaders } from "./result.ts";
