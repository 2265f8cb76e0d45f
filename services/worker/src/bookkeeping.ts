/**
 * Retries the queue writes that end a job while this worker still holds the lease. Without it,
 * a database restart at the wrong moment leaves a finished job `running` until its lease
 * expires, and another worker then runs it again from the first stage (paying for AI calls
 * twice). The writes are guarded by lease ownership in the database, so a retry can never
 * overwrite another worker's state.
 */

import { isAppError } from "@crpipeline/errors";
import type { Logger } from "@crpipeline/log";

export async function retryWhileLeased<T>(
  write: () => Promise<T>,
  { leaseSeconds, logger, what }: { leaseSeconds: number; logger: Logger; what: string },
): Promise<T> {
  // Leave a margin: past the lease another worker may claim the job, so stop before it.
  const deadline = Date.now() + leaseSeconds * 800;
  let delayMs = 100;
  for (;;) {
    try {
      return await write();
    } catch (error) {
      const permanent = isAppError(error) && !error.retryable;
      if (permanent || Date.now() + delayMs > deadline) throw error;
      logger.warn({ error, delayMs, what }, "job bookkeeping write failed; retrying");
      await Bun.sleep(delayMs);
      delayMs = Math.min(delayMs * 2, 2000);
    }
  }
}
