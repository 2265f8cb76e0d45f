/** The job queue on the jobs table: claim with a lease, renew, finish, release, retry. */

import type { Database } from "./database.ts";
import { changeJob, type FinalJobStatus, type Job, mapJob, recordJobEvent } from "./jobs.model.ts";
import { toBoolean, toNumber } from "./values.ts";

// Every function that changes a claimed job checks `lease_owner = workerId` in the same UPDATE,
// so a worker whose lease expired (and whose job another worker claimed) changes nothing and
// learns it from the `false` / null result.

export interface ClaimOptions {
  workerId: string;
  leaseSeconds: number;
  now?: number;
}

export interface Claim {
  job: Job;
  /** True when the job was taken over from a worker whose lease expired. */
  reclaimed: boolean;
  /**
   * Time the job waited for this claim, in ms (for job_queue_wait_seconds): since it was queued,
   * or for a take-over since the dead worker's lease expired, so the dead run is not counted.
   */
  queueWaitMs: number;
}

/**
 * Claims the oldest claimable job: queued and due (`not_before` passed), or running with an
 * expired lease and attempts left. Postgres: `FOR UPDATE SKIP LOCKED`, so concurrent workers
 * never wait for or take the same job. SQLite: BEGIN IMMEDIATE serialises claims.
 */
export async function claimJob(db: Database, options: ClaimOptions): Promise<Claim | null> {
  const now = options.now ?? Date.now();
  return db.transaction(async (tx) => {
    const lock = tx.engine === "postgres" ? "FOR UPDATE SKIP LOCKED" : "";
    const [candidate] = await tx.sql.unsafe<{
      id: string;
      status: string;
      lease_expires_at: unknown;
    }>(
      `SELECT id, status, lease_expires_at FROM jobs
       WHERE (status = 'queued' AND (not_before IS NULL OR not_before <= $1))
          OR (status = 'running' AND lease_expires_at < $2 AND attempts < max_attempts)
       ORDER BY queued_at, id
       LIMIT 1 ${lock}`,
      [now, now],
    );
    if (!candidate) return null;

    const job = await changeJob(
      tx,
      tx.sql`
        UPDATE jobs SET
          status = 'running', attempts = attempts + 1, lease_owner = ${options.workerId},
          lease_expires_at = ${now + options.leaseSeconds * 1000},
          started_at = COALESCE(started_at, ${now}), not_before = NULL, updated_at = ${now}
        WHERE id = ${candidate.id}
        RETURNING *`,
    );
    if (!job) return null;
    const reclaimed = candidate.status === "running";
    const waitingSince = reclaimed ? Number(candidate.lease_expires_at) : job.queuedAt;
    return { job, reclaimed, queueWaitMs: now - waitingSince };
  });
}

/**
 * Fails running jobs whose lease expired with no attempts left ("lease expired after N
 * attempts") and returns them, so the caller can count them. Call it on every poll.
 */
export async function failExpiredJobs(db: Database, now = Date.now()): Promise<Job[]> {
  return db.transaction(async (tx) => {
    const rows = await tx.sql`
      UPDATE jobs SET
        status = 'failed', lease_owner = NULL, lease_expires_at = NULL, finished_at = ${now},
        updated_at = ${now},
        error = 'lease expired after ' || CAST(attempts AS TEXT) || ' attempts'
      WHERE status = 'running' AND lease_expires_at < ${now} AND attempts >= max_attempts
      RETURNING *`;
    const jobs = rows.map(mapJob);
    for (const job of jobs) await recordJobEvent(tx, job);
    return jobs;
  });
}

/** Extends the lease; false when this worker no longer owns the job (it must stop). */
export async function renewLease(
  db: Database,
  jobId: string,
  workerId: string,
  leaseSeconds: number,
): Promise<boolean> {
  const now = Date.now();
  const result = await db.sql`
    UPDATE jobs SET lease_expires_at = ${now + leaseSeconds * 1000}, updated_at = ${now}
    WHERE id = ${jobId} AND lease_owner = ${workerId} AND status = 'running'`;
  return result.affectedRows > 0;
}

export interface JobProgress {
  currentStage: number;
  /** 0..1 over the whole job. */
  progress: number;
}

/** Records progress and appends a progress event; false when the lease is lost. */
export async function updateProgress(
  db: Database,
  jobId: string,
  workerId: string,
  update: JobProgress,
): Promise<boolean> {
  const now = Date.now();
  const progress = Math.min(Math.max(update.progress, 0), 1);
  const job = await db.transaction((tx) =>
    changeJob(
      tx,
      tx.sql`
        UPDATE jobs SET current_stage = ${update.currentStage}, progress = ${progress},
                        updated_at = ${now}
        WHERE id = ${jobId} AND lease_owner = ${workerId} AND status = 'running'
        RETURNING *`,
      "job.progress",
    ),
  );
  return job !== null;
}

export interface FinishOptions {
  status: FinalJobStatus;
  error?: string | null;
}

/** Ends the job; null (nothing changed) when this worker no longer owns it. */
export async function finishJob(
  db: Database,
  jobId: string,
  workerId: string,
  options: FinishOptions,
): Promise<Job | null> {
  const now = Date.now();
  const progress = options.status === "succeeded" ? 1 : null;
  return db.transaction((tx) =>
    changeJob(
      tx,
      tx.sql`
        UPDATE jobs SET
          status = ${options.status}, error = ${options.error ?? null},
          progress = COALESCE(${progress}, progress), lease_owner = NULL,
          lease_expires_at = NULL, finished_at = ${now}, updated_at = ${now}
        WHERE id = ${jobId} AND lease_owner = ${workerId} AND status = 'running'
        RETURNING *`,
    ),
  );
}

/**
 * Graceful shutdown: puts the job back in the queue without counting the attempt, so the next
 * worker starts it at once. False when this worker no longer owns it.
 */
export async function releaseJob(db: Database, jobId: string, workerId: string): Promise<boolean> {
  const now = Date.now();
  const job = await db.transaction((tx) =>
    changeJob(
      tx,
      tx.sql`
        UPDATE jobs SET
          status = 'queued', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END,
          lease_owner = NULL, lease_expires_at = NULL, updated_at = ${now}
        WHERE id = ${jobId} AND lease_owner = ${workerId} AND status = 'running'
        RETURNING *`,
    ),
  );
  return job !== null;
}

export type RequeueOutcome = "requeued" | "failed" | "lost";

/**
 * After a retryable stage error: back to the queue, not claimable before `delayMs` has
 * passed, or failed with `error` when no attempts are left. "lost" when not owned any more.
 */
export async function requeueForRetry(
  db: Database,
  jobId: string,
  workerId: string,
  error: string,
  delayMs = 0,
): Promise<RequeueOutcome> {
  const now = Date.now();
  return db.transaction(async (tx) => {
    const job = await changeJob(
      tx,
      tx.sql`
        UPDATE jobs SET
          status = CASE WHEN attempts < max_attempts THEN 'queued' ELSE 'failed' END,
          finished_at = CASE WHEN attempts < max_attempts THEN NULL ELSE ${now} END,
          not_before = CASE WHEN attempts < max_attempts THEN ${now + delayMs} ELSE NULL END,
          queued_at = CASE WHEN attempts < max_attempts THEN ${now} ELSE queued_at END,
          error = ${error}, lease_owner = NULL, lease_expires_at = NULL, updated_at = ${now}
        WHERE id = ${jobId} AND lease_owner = ${workerId} AND status = 'running'
        RETURNING *`,
    );
    if (!job) return "lost";
    return job.status === "queued" ? "requeued" : "failed";
  });
}

/** Whether someone asked to cancel this job (the worker checks between steps). */
export async function isCancelRequested(db: Database, jobId: string): Promise<boolean> {
  const [row] = await db.sql`SELECT cancel_requested FROM jobs WHERE id = ${jobId}`;
  return row ? toBoolean(row.cancel_requested) : false;
}

/** Jobs waiting in the queue, all organisations (the `queued_jobs` gauge). */
export async function queueDepth(db: Database): Promise<number> {
  const [row] = await db.sql`SELECT count(*) AS n FROM jobs WHERE status = 'queued'`;
  return toNumber(row?.n ?? 0);
}
