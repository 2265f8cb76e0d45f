/** The job row as callers see it, and the event each job change appends. */

import type { Executor, Row } from "./database.ts";
import { insertJobEvent, type JobEventType } from "./job-events.repository.ts";
import { signalJobQueued } from "./queue-signal.ts";
import { parseJson, toBoolean, toNumber, toNumberOrNull, toStringOrNull } from "./values.ts";

export const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "canceled"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export type FinalJobStatus = "succeeded" | "failed" | "canceled";

export interface Job {
  id: string;
  orgId: string;
  documentId: string;
  /** Null for a job without a saved pipeline or after the pipeline was deleted. */
  pipelineId: string | null;
  pipelineName: string;
  /** Snapshot of the pipeline's stages taken when the job was created. */
  stages: unknown[];
  status: JobStatus;
  /** Index of the stage running now (or last run). */
  currentStage: number;
  /** 0..1 over the whole job. */
  progress: number;
  /** Claims so far; a claim that ends in a lease expiry counts. */
  attempts: number;
  maxAttempts: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  cancelRequested: boolean;
  error: string | null;
  /** A retried job is not claimed before this time. */
  notBefore: number | null;
  createdAt: number;
  queuedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
}

export function mapJob(row: Row): Job {
  return {
    id: String(row.id),
    orgId: String(row.org_id),
    documentId: String(row.document_id),
    pipelineId: toStringOrNull(row.pipeline_id),
    pipelineName: String(row.pipeline_name),
    stages: parseJson<unknown[]>(row.stages, []),
    status: row.status as JobStatus,
    currentStage: toNumber(row.current_stage),
    progress: toNumber(row.progress),
    attempts: toNumber(row.attempts),
    maxAttempts: toNumber(row.max_attempts),
    leaseOwner: toStringOrNull(row.lease_owner),
    leaseExpiresAt: toNumberOrNull(row.lease_expires_at),
    cancelRequested: toBoolean(row.cancel_requested),
    error: toStringOrNull(row.error),
    notBefore: toNumberOrNull(row.not_before),
    createdAt: toNumber(row.created_at),
    queuedAt: toNumber(row.queued_at),
    startedAt: toNumberOrNull(row.started_at),
    finishedAt: toNumberOrNull(row.finished_at),
    updatedAt: toNumber(row.updated_at),
  };
}

/**
 * Records the job's new state as an event, inside the transaction that changed it; a job that
 * became claimable also signals the workers of other processes.
 */
export async function recordJobEvent(
  tx: Executor,
  job: Job,
  type: JobEventType = "job.status",
): Promise<void> {
  await insertJobEvent(tx, {
    orgId: job.orgId,
    jobId: job.id,
    type,
    payload: {
      status: job.status,
      currentStage: job.currentStage,
      progress: job.progress,
      attempts: job.attempts,
      cancelRequested: job.cancelRequested,
      error: job.error,
    },
  });
  // A retry's delayed re-queue is not claimable yet: the worker that made it comes back itself.
  if (job.status === "queued" && job.notBefore === null) await signalJobQueued(tx);
}

/** Runs an UPDATE … RETURNING * and, when it changed a row, records the event. */
export async function changeJob(
  tx: Executor,
  update: Promise<Row[]>,
  type: JobEventType = "job.status",
): Promise<Job | null> {
  const [row] = await update;
  if (!row) return null;
  const job = mapJob(row);
  await recordJobEvent(tx, job, type);
  return job;
}
