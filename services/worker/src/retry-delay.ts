/** How long a job waits in the queue after a retryable stage error before it may run again. */

export interface RetryBackoff {
  /** Wait after the first failed attempt; each further attempt doubles it. */
  baseMs: number;
  /** No wait exceeds this. */
  capMs: number;
}

export const DEFAULT_RETRY_BACKOFF: RetryBackoff = { baseMs: 5_000, capMs: 5 * 60_000 };

/**
 * Exponential in the attempts made so far, with the upper half jittered so that jobs failing
 * together (an AI endpoint down) do not come back together.
 */
export function retryDelayMs(
  attempts: number,
  backoff: RetryBackoff,
  random: () => number = Math.random,
): number {
  const bound = Math.min(backoff.capMs, backoff.baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(bound / 2 + random() * (bound / 2));
}
