/** Jobs as the API sees them: create, read, list, cancel and retry, scoped by organisation. */

import { AppError, notFound } from "@crpipeline/errors";
import type { Database, Row } from "./database.ts";
import { changeJob, type Job, type JobStatus, mapJob, recordJobEvent } from "./jobs.model.ts";
import { filter, listPage, type Page, type PageRequest } from "./pagination.ts";
import { listStageOutputs, type StageOutput } from "./stage-outputs.repository.ts";
import { newId, toJson, toNumber } from "./values.ts";

export interface JobWithOutputs extends Job {
  outputs: StageOutput[];
}

export interface NewJob {
  orgId: string;
  documentId: string;
  pipelineId: string | null;
  pipelineName: string;
  stages: unknown[];
  /** Usually `config.jobMaxAttempts`. */
  maxAttempts: number;
}

/** Queues a job; 404 when the document (or the pipeline) is not in `orgId`. */
export async function createJob(db: Database, input: NewJob): Promise<Job> {
  const now = Date.now();
  return db.transaction(async (tx) => {
    // INSERT … SELECT from the document keeps the scoping in the same statement as the write.
    const [row] = await tx.sql`
      INSERT INTO jobs (id, org_id, document_id, pipeline_id, pipeline_name, stages, status,
                        max_attempts, created_at, queued_at, updated_at)
      SELECT ${newId()}, d.org_id, d.id, ${input.pipelineId}, ${input.pipelineName},
             ${toJson(input.stages)}, 'queued', ${input.maxAttempts}, ${now}, ${now}, ${now}
      FROM documents d
      WHERE d.id = ${input.documentId} AND d.org_id = ${input.orgId}
        AND (CAST(${input.pipelineId} AS TEXT) IS NULL OR EXISTS (
          SELECT 1 FROM pipelines p WHERE p.id = ${input.pipelineId} AND p.org_id = ${input.orgId}))
      RETURNING *`;
    if (!row) throw notFound(input.pipelineId ? "Document or pipeline" : "Document");
    const job = mapJob(row);
    await recordJobEvent(tx, job, "job.created");
    return job;
  });
}

export async function getJob(
  db: Database,
  orgId: string,
  id: string,
): Promise<JobWithOutputs | null> {
  const [row] = await db.sql`SELECT * FROM jobs WHERE id = ${id} AND org_id = ${orgId}`;
  if (!row) return null;
  return { ...mapJob(row), outputs: await listStageOutputs(db, orgId, id) };
}

export type JobSort = "createdAt" | "updatedAt";

export interface JobListRequest extends PageRequest<JobSort> {
  status?: JobStatus;
  documentId?: string;
}

/** Newest first by default. */
export function listJobs(
  db: Database,
  orgId: string,
  request: JobListRequest = {},
): Promise<Page<Job>> {
  const filters = [filter("org_id = ?", orgId)];
  if (request.status) filters.push(filter("status = ?", request.status));
  if (request.documentId) filters.push(filter("document_id = ?", request.documentId));
  return listPage(db, {
    table: "jobs",
    filters,
    sortColumns: {
      createdAt: { column: "created_at", type: "number" },
      updatedAt: { column: "updated_at", type: "number" },
    },
    defaultSort: "createdAt",
    defaultOrder: "desc",
    request,
    map: mapJob,
  });
}

const finished = (job: Row) =>
  new AppError("job_finished", `The job is already ${String(job.status)}`, 409);

/**
 * A queued job is canceled at once; a running one gets `cancelRequested` and its worker stops
 * it. Null when not in `orgId`; 409 when it already finished.
 */
export async function cancelJob(db: Database, orgId: string, id: string): Promise<Job | null> {
  const now = Date.now();
  return db.transaction(async (tx) => {
    const job = await changeJob(
      tx,
      tx.sql`
        UPDATE jobs SET
          finished_at = CASE WHEN status = 'queued' THEN ${now} ELSE finished_at END,
          cancel_requested = CASE WHEN status = 'running' THEN TRUE ELSE cancel_requested END,
          status = CASE WHEN status = 'queued' THEN 'canceled' ELSE status END,
          updated_at = ${now}
        WHERE id = ${id} AND org_id = ${orgId} AND status IN ('queued', 'running')
        RETURNING *`,
    );
    if (job) return job;
    const [row] = await tx.sql`SELECT status FROM jobs WHERE id = ${id} AND org_id = ${orgId}`;
    if (row) throw finished(row);
    return null;
  });
}

/**
 * Queues a failed or canceled job again from its first stage, with its attempts reset. Null
 * when not in `orgId`; 409 while it is queued, running or after it succeeded.
 */
export async function retryJob(db: Database, orgId: string, id: string): Promise<Job | null> {
  const now = Date.now();
  return db.transaction(async (tx) => {
    const job = await changeJob(
      tx,
      tx.sql`
        UPDATE jobs SET
          status = 'queued', attempts = 0, current_stage = 0, progress = 0, error = NULL,
          cancel_requested = FALSE, lease_owner = NULL, lease_expires_at = NULL,
          not_before = NULL, started_at = NULL, finished_at = NULL,
          queued_at = ${now}, updated_at = ${now}
        WHERE id = ${id} AND org_id = ${orgId} AND status IN ('failed', 'canceled')
        RETURNING *`,
    );
    if (job) return job;
    const [row] = await tx.sql`SELECT status FROM jobs WHERE id = ${id} AND org_id = ${orgId}`;
    if (row) {
      throw new AppError("job_not_retryable", `A ${String(row.status)} job cannot be retried`, 409);
    }
    return null;
  });
}

/** How many of the organisation's jobs are in `status` now. */
export async function countJobs(db: Database, orgId: string, status: JobStatus): Promise<number> {
  const [row] = await db.sql`
    SELECT count(*) AS n FROM jobs WHERE org_id = ${orgId} AND status = ${status}`;
  return toNumber(row?.n ?? 0);
}
