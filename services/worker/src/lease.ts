/**
 * Keeps a claimed job's lease alive while it runs, and notices cancel requests between renewals.
 */

import { type Database, isCancelRequested, renewLease } from "@crpipeline/db";
import type { Logger } from "@crpipeline/log";

export interface LeaseKeeperOptions {
  db: Database;
  logger: Logger;
  jobId: string;
  workerId: string;
  leaseSeconds: number;
  /** This worker no longer owns the job: its work must stop without writing a final state. */
  onLost(): void;
  /** Someone asked to cancel the job. */
  onCancelRequested(): void;
}

/** Renews every leaseSeconds/3, so two renewals can fail before the lease runs out. */
export function keepLease(options: LeaseKeeperOptions): { stop(): void } {
  const { db, logger, jobId, workerId, leaseSeconds } = options;
  const leaseMs = leaseSeconds * 1000;
  let validUntil = Date.now() + leaseMs;
  let stopped = false;
  let busy = false;

  const tick = async () => {
    if (stopped || busy) return;
    busy = true;
    const attemptedAt = Date.now();
    try {
      if (!(await renewLease(db, jobId, workerId, leaseSeconds))) {
        logger.warn({ jobId }, "lease lost; stopping the job");
        return stop(options.onLost);
      }
      validUntil = attemptedAt + leaseMs;
      if (await isCancelRequested(db, jobId)) stop(options.onCancelRequested);
    } catch (error) {
      // A database blip: the lease is still ours until it runs out, so try again next tick.
      logger.warn({ jobId, error }, "lease renewal failed");
      if (Date.now() >= validUntil) stop(options.onLost);
    } finally {
      busy = false;
    }
  };

  const timer = setInterval(() => void tick(), Math.max(100, Math.floor(leaseMs / 3)));

  function stop(then?: () => void) {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    then?.();
  }

  return { stop: () => stop() };
}
