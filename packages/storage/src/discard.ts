/**
 * Deletes that must happen eventually: an object left by a write the caller gave up on (an upload
 * that failed before its row existed) is retried in the background while S3 does not answer.
 *
 * Why: a PUT can land on the server while its answer is lost (S3 stopping mid-request); the SDK
 * retries, gets ECONNREFUSED and reports a failure, and the caller's cleanup DELETE fails for the
 * same reason. Without a retry that object would stay in the bucket with no row naming it.
 */

import { isRetryable } from "@crpipeline/errors";
import type { Logger } from "@crpipeline/log";

export interface DiscardQueueOptions {
  /** One delete attempt (the store's own `delete`, so failures are counted as usual). */
  remove(key: string): Promise<void>;
  logger: Logger;
  /** First wait before a retry; doubles up to `maxRetryMs`. */
  firstRetryMs?: number;
  maxRetryMs?: number;
  /** A key still not deleted after this long is given up on, with an error in the log. */
  giveUpAfterMs?: number;
}

export interface DiscardQueue {
  /** Tries once now; on an S3 outage keeps trying in the background. Never rejects. */
  discard(key: string): Promise<void>;
  /** Keys waiting for a retry. */
  pending(): number;
  /** Stops retrying (the store is closing). */
  close(): void;
}

// The retries live in this process only: the fast path. What must survive the process (the
// API's uploads and deletions) is also in the database's object journal, which the API sweeps.
export function createDiscardQueue(options: DiscardQueueOptions): DiscardQueue {
  const { remove, logger } = options;
  const firstRetryMs = options.firstRetryMs ?? 1_000;
  const maxRetryMs = options.maxRetryMs ?? 30_000;
  const giveUpAfterMs = options.giveUpAfterMs ?? 60 * 60_000;
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  let closed = false;

  const attempt = async (key: string, since: number, waitMs: number): Promise<void> => {
    timers.delete(key);
    try {
      await remove(key);
      if (since !== 0) logger.info({ key }, "deferred object delete done");
      return;
    } catch (error) {
      // A refusal (credentials, bad key) will not get better by waiting.
      if (!isRetryable(error) || closed) return;
      const started = since === 0 ? Date.now() : since;
      if (Date.now() - started > giveUpAfterMs) {
        logger.error({ key, error }, "giving up on deleting an orphaned object");
        return;
      }
      if (timers.has(key)) return;
      const next = Math.min(maxRetryMs, waitMs * 2);
      const timer = setTimeout(() => void attempt(key, started, next), waitMs);
      // Pending deletes must not keep a finished process alive.
      timer.unref?.();
      timers.set(key, timer);
    }
  };

  return {
    discard: (key) => attempt(key, 0, firstRetryMs),
    pending: () => timers.size,
    close() {
      closed = true;
      for (const timer of timers.values()) clearTimeout(timer);
      if (timers.size > 0) logger.warn({ keys: [...timers.keys()] }, "orphaned objects left");
      timers.clear();
    },
  };
}
