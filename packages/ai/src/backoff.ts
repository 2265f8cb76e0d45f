/** How long to wait between AI call attempts: full-jitter exponential backoff and Retry-After. */

export interface BackoffOptions {
  /** First retry waits up to this long; each further retry doubles it. */
  baseMs: number;
  /** No computed wait exceeds this. */
  capMs: number;
  /** A server's Retry-After is honoured up to this long; a longer one is cut to it. */
  maxRetryAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  baseMs: 500,
  capMs: 10_000,
  maxRetryAfterMs: 30_000,
};

/**
 * "Full jitter": a uniformly random wait below the exponential bound, so that many workers
 * hitting the same rate limit do not retry in lockstep.
 */
export function backoffDelay(
  retry: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const bound = Math.min(options.capMs, options.baseMs * 2 ** (retry - 1));
  return Math.floor(random() * bound);
}

/** A Retry-After header in milliseconds: delta-seconds or an HTTP date; undefined if unusable. */
export function parseRetryAfter(
  header: string | null,
  now: number = Date.now(),
): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  // Date.parse reads "-3" as the year -3; an HTTP date always names its weekday and month.
  if (!/[A-Za-z]{3}/.test(value)) return undefined;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
