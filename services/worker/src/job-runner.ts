/** Runs one claimed job to its end: lease, stages, and the final state or a retry. */

import {
  type Claim,
  type Database,
  finishJob,
  releaseJob,
  requeueForRetry,
  type SecretBox,
} from "@crpipeline/db";
import { isRetryable } from "@crpipeline/errors";
import type { Logger } from "@crpipeline/log";
import type { ObjectStore } from "@crpipeline/storage";
import type { Metrics } from "@crpipeline/telemetry";
import { retryWhileLeased } from "./bookkeeping.ts";
import { type InterruptReason, interruptReason, JobInterrupted } from "./interruption.ts";
import { loadJobContext } from "./job-context.ts";
import { keepLease } from "./lease.ts";
import { discardEarlierOutputs } from "./outputs.ts";
import { createProgressReporter } from "./progress.ts";
import { type RetryBackoff, retryDelayMs } from "./retry-delay.ts";
import { runStages } from "./stage-runner.ts";
import type { Processors } from "./stages/types.ts";

export interface JobRunnerDeps {
  db: Database;
  store: ObjectStore;
  secrets: SecretBox;
  metrics: Metrics;
  logger: Logger;
  processors: Processors;
  workerId: string;
  leaseSeconds: number;
  retryBackoff: RetryBackoff;
  /** The job went back to the queue and may run again after `delayMs`. */
  onRequeued(delayMs: number): void;
}

export interface RunningJob {
  jobId: string;
  /** Settles when this worker is done with the job, whatever happened; never rejects. */
  done: Promise<void>;
  /** Stops the job's work; `shutdown` hands the job back to the queue. */
  interrupt(reason: InterruptReason): void;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * A re-claimed job (lease expired, or requeued after an error) runs again from its first stage:
 * stages have no effects outside their outputs, and a re-run first discards the earlier run's
 * outputs, then writes the same keys again, so nothing is duplicated or left over.
 */
export function startJob(deps: JobRunnerDeps, claim: Claim): RunningJob {
  const { db, metrics, workerId } = deps;
  const job = claim.job;
  const logger = deps.logger;
  const log = { jobId: job.id, attempt: job.attempts };
  const controller = new AbortController();
  const interrupt = (reason: InterruptReason) => {
    if (!controller.signal.aborted) controller.abort(new JobInterrupted(reason));
  };

  const claimedAt = performance.now();
  metrics.jobStarted();
  metrics.queueWait(claim.queueWaitMs / 1000);
  if (claim.reclaimed) metrics.jobRetried("lease_expired");
  logger.info(
    { ...log, reclaimed: claim.reclaimed, queueWaitMs: claim.queueWaitMs },
    "job claimed",
  );

  const lease = keepLease({
    db,
    logger,
    jobId: job.id,
    workerId,
    leaseSeconds: deps.leaseSeconds,
    onLost: () => interrupt("lease_lost"),
    onCancelRequested: () => interrupt("canceled"),
  });
  const progress = createProgressReporter({
    db,
    logger,
    jobId: job.id,
    workerId,
    stageCount: Math.max(1, job.stages.length),
    onLost: () => interrupt("lease_lost"),
  });

  const durable = <T>(what: string, write: () => Promise<T>) =>
    retryWhileLeased(write, { leaseSeconds: deps.leaseSeconds, logger, what });

  async function finish(status: "succeeded" | "failed" | "canceled", error: string | null) {
    await progress.flush();
    const finished = await durable("finish", () =>
      finishJob(db, job.id, workerId, { status, error }),
    );
    if (!finished) return logger.warn(log, "job no longer ours; final state not written");
    const seconds = (performance.now() - claimedAt) / 1000;
    metrics.jobFinished(status, seconds);
    logger.info({ ...log, status, seconds, error }, "job finished");
  }

  async function afterFailure(error: unknown) {
    const reason = interruptReason(controller.signal);
    if (reason === "lease_lost") return logger.warn(log, "job abandoned: lease lost");
    if (reason === "canceled") return finish("canceled", null);
    if (reason === "shutdown") {
      const released = await durable("release", () => releaseJob(db, job.id, workerId));
      return logger.info({ ...log, released }, "job released for another worker");
    }

    const message = messageOf(error);
    if (!isRetryable(error)) return finish("failed", message);
    const delayMs = retryDelayMs(job.attempts, deps.retryBackoff);
    const outcome = await durable("requeue", () =>
      requeueForRetry(db, job.id, workerId, message, delayMs),
    );
    if (outcome === "requeued") {
      metrics.jobRetried("stage_error");
      logger.warn({ ...log, delayMs, error: message }, "job requeued after a retryable error");
      deps.onRequeued(delayMs);
    } else if (outcome === "failed") {
      metrics.jobFinished("failed", (performance.now() - claimedAt) / 1000);
      logger.warn({ ...log, error: message }, "job failed: no attempts left");
    }
  }

  async function execute() {
    try {
      const discarded = await discardEarlierOutputs(deps, job);
      if (discarded > 0) logger.info({ ...log, discarded }, "earlier run's outputs discarded");
      const context = await loadJobContext(deps, job);
      const outcome = await runStages(deps, { context, signal: controller.signal, progress });
      await finish(outcome, null);
    } catch (error) {
      await progress.flush();
      await afterFailure(error);
    }
  }

  const done = execute()
    .catch((error) => logger.error({ ...log, error }, "job bookkeeping failed"))
    .finally(() => {
      lease.stop();
      metrics.jobStopped();
    });
  return { jobId: job.id, done, interrupt };
}
