/** The answer of one rate-limit check, and how the HTTP layer turns it into headers and a 429. */

import { AppError } from "@crpipeline/errors";

export interface RateLimitResult {
  success: boolean;
  limit: number;
  remaining: number;
  /** Epoch milliseconds when the current window ends. */
  reset: number;
  /** 0 when allowed; otherwise whole seconds to wait, at least 1. */
  retryAfterSeconds: number;
  /** Who answered: the shared store, the in-process limiter, or the fallback while Redis failed. */
  source: "redis" | "upstash" | "memory" | "fallback";
}

export function retryAfterSeconds(success: boolean, reset: number, now: number): number {
  return success ? 0 : Math.max(1, Math.ceil((reset - now) / 1000));
}

/** `RateLimit-*` headers (IETF draft, seconds until reset) plus `Retry-After` when denied. */
export function rateLimitHeaders(
  result: RateLimitResult,
  now = Date.now(),
): Record<string, string> {
  const headers: Record<string, string> = {
    "RateLimit-Limit": String(result.limit),
    "RateLimit-Remaining": String(Math.max(0, result.remaining)),
    "RateLimit-Reset": String(Math.max(0, Math.ceil((result.reset - now) / 1000))),
  };
  if (!result.success) headers["Retry-After"] = String(Math.max(1, result.retryAfterSeconds));
  return headers;
}

export function rateLimitedError(
  result: RateLimitResult,
  message = "Too many requests; try again later",
): AppError {
  return new AppError("rate_limited", message, 429, {
    retryable: true,
    headers: rateLimitHeaders(result),
    details: { retryAfterSeconds: Math.max(1, result.retryAfterSeconds) },
  });
}
