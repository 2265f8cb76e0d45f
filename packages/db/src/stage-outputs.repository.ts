/** Stage outputs: the files each stage of a job wrote to object storage. */

import { notFound } from "@crpipeline/errors";
import type { Database, Row } from "./database.ts";
import { newId, toNumber } from "./values.ts";

export interface StageOutput {
  id: string;
  jobId: string;
  orgId: string;
  /** Position of the stage in the job's pipeline. */
  index: number;
  /** The stage type: ocr, ai, parse, report. */
  stage: string;
  /** What this file is for the stage, e.g. "text", "json", "pdf". */
  name: string;
  storageKey: string;
  contentType: string;
  size: number;
  createdAt: number;
}

function mapOutput(row: Row): StageOutput {
  return {
    id: String(row.id),
    jobId: String(row.job_id),
    orgId: String(row.org_id),
    index: toNumber(row.stage_index),
    stage: String(row.stage),
    name: String(row.name),
    storageKey: String(row.storage_key),
    contentType: String(row.content_type),
    size: toNumber(row.size),
    createdAt: toNumber(row.created_at),
  };
}

export interface NewStageOutput {
  jobId: string;
  orgId: string;
  index: number;
  stage: string;
  name: string;
  storageKey: string;
  contentType: string;
  size: number;
}

/**
 * Records an output; a second run of the same stage (after a lease expiry or a retry) replaces
 * the row for (job, index, name) instead of adding one. 404 when the job is not in `orgId`.
 */
export async function upsertStageOutput(db: Database, input: NewStageOutput): Promise<StageOutput> {
  const [row] = await db.sql`
    INSERT INTO stage_outputs
      (id, job_id, org_id, stage_index, stage, name, storage_key, content_type, size, created_at)
    SELECT ${newId()}, id, org_id, ${input.index}, ${input.stage}, ${input.name},
           ${input.storageKey}, ${input.contentType}, ${input.size}, ${Date.now()}
    FROM jobs WHERE id = ${input.jobId} AND org_id = ${input.orgId}
    ON CONFLICT (job_id, stage_index, name) DO UPDATE SET
      stage = excluded.stage,
      storage_key = excluded.storage_key,
      content_type = excluded.content_type,
      size = excluded.size,
      created_at = excluded.created_at
    RETURNING *`;
  if (!row) throw notFound("Job");
  return mapOutput(row);
}

/** The outputs of one job in stage order; empty when the job is not in `orgId`. */
export async function listStageOutputs(
  db: Database,
  orgId: string,
  jobId: string,
): Promise<StageOutput[]> {
  const rows = await db.sql`
    SELECT * FROM stage_outputs WHERE job_id = ${jobId} AND org_id = ${orgId}
    ORDER BY stage_index, name`;
  return rows.map(mapOutput);
}

/** One output of one job; null unless both belong together and to `orgId`. */
export async function getStageOutput(
  db: Database,
  orgId: string,
  jobId: string,
  id: string,
): Promise<StageOutput | null> {
  const [row] = await db.sql`
    SELECT * FROM stage_outputs WHERE id = ${id} AND job_id = ${jobId} AND org_id = ${orgId}`;
  return row ? mapOutput(row) : null;
}

/** Removes the output rows of one job (its objects are the caller's to delete). */
export async function deleteStageOutputs(
  db: Database,
  orgId: string,
  jobId: string,
): Promise<number> {
  const rows = await db.sql`
    DELETE FROM stage_outputs WHERE job_id = ${jobId} AND org_id = ${orgId} RETURNING id`;
  return rows.length;
}
