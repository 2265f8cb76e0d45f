/** Job events: an append-only log the API tails by id to stream Server-Sent Events. */

import type { Database, Executor, Row } from "./database.ts";
import { parseJson, toJson, toNumber } from "./values.ts";

// Tailing by id needs ids to become visible in increasing order. Postgres assigns identity
// values at insert but transactions commit in any order, so a reader could see id 11, move its
// cursor past 10 and never see 10. Appends therefore take a transaction-scoped advisory lock
// first, which makes "id assigned" and "committed" happen in the same order. Readers tail one
// organisation at a time, so the lock is per organisation (keyed by a hash of its id; a
// collision only serialises two organisations' appends). SQLite has a single writer, so its
// order is already right.
const EVENTS_LOCK_CLASS = 72_453_180;

export type JobEventType = "job.created" | "job.status" | "job.progress";

export interface JobEventPayload {
  status: string;
  currentStage: number;
  progress: number;
  error?: string | null;
  [key: string]: unknown;
}

export interface JobEvent {
  id: number;
  orgId: string;
  jobId: string;
  type: JobEventType;
  payload: JobEventPayload;
  createdAt: number;
}

function mapEvent(row: Row): JobEvent {
  return {
    id: toNumber(row.id),
    orgId: String(row.org_id),
    jobId: String(row.job_id),
    type: row.type as JobEventType,
    payload: parseJson<JobEventPayload>(row.payload, { status: "", currentStage: 0, progress: 0 }),
    createdAt: toNumber(row.created_at),
  };
}

export interface NewJobEvent {
  orgId: string;
  jobId: string;
  type: JobEventType;
  payload: JobEventPayload;
}

/** Appends inside the caller's transaction (the job change and its event commit together). */
export async function insertJobEvent(tx: Executor, event: NewJobEvent): Promise<JobEvent> {
  if (tx.engine === "postgres") {
    await tx.sql`SELECT pg_advisory_xact_lock(${EVENTS_LOCK_CLASS}, hashtext(${event.orgId}))`;
  }
  const [row] = await tx.sql`
    INSERT INTO job_events (org_id, job_id, type, payload, created_at)
    VALUES (${event.orgId}, ${event.jobId}, ${event.type}, ${toJson(event.payload)}, ${Date.now()})
    RETURNING *`;
  return mapEvent(row as Row);
}

export function appendJobEvent(db: Database, event: NewJobEvent): Promise<JobEvent> {
  return db.transaction((tx) => insertJobEvent(tx, event));
}

export interface JobEventQuery {
  /** Events with a larger id than this; 0 for the oldest kept. */
  afterId: number;
  /** Only this job's events. */
  jobId?: string;
  /** At most this many, oldest first (default 100, at most 1000). */
  limit?: number;
}

/** The events of `orgId` after `afterId`, oldest first: the SSE tail. */
export async function listJobEvents(
  db: Database,
  orgId: string,
  query: JobEventQuery,
): Promise<JobEvent[]> {
  const limit = Math.min(Math.max(Math.trunc(query.limit ?? 100), 1), 1000);
  const rows = query.jobId
    ? await db.sql`
        SELECT * FROM job_events
        WHERE org_id = ${orgId} AND job_id = ${query.jobId} AND id > ${query.afterId}
        ORDER BY id LIMIT ${limit}`
    : await db.sql`
        SELECT * FROM job_events WHERE org_id = ${orgId} AND id > ${query.afterId}
        ORDER BY id LIMIT ${limit}`;
  return rows.map(mapEvent);
}

/**
 * The newest event id of `orgId` (0 when none): where a stream that wants only new events
 * starts. Per organisation, because only within one are ids committed in order.
 */
export async function latestJobEventId(db: Database, orgId: string): Promise<number> {
  const [row] = await db.sql`SELECT max(id) AS id FROM job_events WHERE org_id = ${orgId}`;
  return row?.id === null || row?.id === undefined ? 0 : toNumber(row.id);
}

/** Deletes events created before `before` (epoch ms); returns how many. */
export async function pruneJobEvents(db: Database, before: number): Promise<number> {
  const result = await db.sql`DELETE FROM job_events WHERE created_at < ${before}`;
  return result.affectedRows;
}
