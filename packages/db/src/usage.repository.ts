/** Monthly usage per organisation (uploads, jobs), counted so quotas hold under concurrency. */

import { AppError } from "@crpipeline/errors";
import type { Database } from "./database.ts";
import { toNumber, toNumberOrNull } from "./values.ts";

// A counter row per organisation and calendar month (UTC). `reserveUsage` increments it in a
// single UPDATE that also checks the quota, so two concurrent uploads cannot both take the last
// slot: Postgres re-checks the WHERE clause on the row the other UPDATE wrote, SQLite has one
// writer. Deleting a document does not give its upload back.

export type UsageKind = "uploads" | "jobs";

export interface Usage {
  /** `YYYY-MM`, UTC. */
  period: string;
  uploads: number;
  jobs: number;
  /** Null means unlimited. */
  uploadQuota: number | null;
  jobQuota: number | null;
}

export function usagePeriod(at = Date.now()): string {
  return new Date(at).toISOString().slice(0, 7);
}

async function ensureRow(db: Database, orgId: string, period: string): Promise<void> {
  await db.sql`
    INSERT INTO usage_counters (org_id, period, uploads, jobs)
    VALUES (${orgId}, ${period}, 0, 0)
    ON CONFLICT (org_id, period) DO NOTHING`;
}

/**
 * Counts one upload or job against this month's quota; throws 429 `quota_exceeded` when the
 * quota is used up. Call `releaseUsage` if the counted work then does not happen.
 */
export async function reserveUsage(
  db: Database,
  orgId: string,
  kind: UsageKind,
  at = Date.now(),
): Promise<number> {
  const period = usagePeriod(at);
  await ensureRow(db, orgId, period);
  const quotaColumn = kind === "uploads" ? "monthly_upload_quota" : "monthly_job_quota";
  const [row] = await db.sql.unsafe(
    `UPDATE usage_counters SET ${kind} = ${kind} + 1
     WHERE org_id = $1 AND period = $2
       AND ${kind} < COALESCE((SELECT ${quotaColumn} FROM organisations WHERE id = $3), ${kind} + 1)
     RETURNING ${kind} AS n`,
    [orgId, period, orgId],
  );
  if (row) return toNumber(row.n);

  const usage = await getUsage(db, orgId, at);
  const quota = kind === "uploads" ? usage.uploadQuota : usage.jobQuota;
  throw new AppError(
    "quota_exceeded",
    `The monthly ${kind === "uploads" ? "upload" : "job"} quota of ${quota} is used up`,
    429,
    { details: { kind, quota, used: usage[kind], period }, retryable: false },
  );
}

/** Gives back a reservation whose work did not happen (e.g. the upload failed). */
export async function releaseUsage(
  db: Database,
  orgId: string,
  kind: UsageKind,
  at = Date.now(),
): Promise<void> {
  await db.sql.unsafe(
    `UPDATE usage_counters SET ${kind} = ${kind} - 1
     WHERE org_id = $1 AND period = $2 AND ${kind} > 0`,
    [orgId, usagePeriod(at)],
  );
}

export async function getUsage(db: Database, orgId: string, at = Date.now()): Promise<Usage> {
  const period = usagePeriod(at);
  const [row] = await db.sql`
    SELECT o.monthly_upload_quota, o.monthly_job_quota, u.uploads, u.jobs
    FROM organisations o
    LEFT JOIN usage_counters u ON u.org_id = o.id AND u.period = ${period}
    WHERE o.id = ${orgId}`;
  return {
    period,
    uploads: toNumber(row?.uploads ?? 0),
    jobs: toNumber(row?.jobs ?? 0),
    uploadQuota: toNumberOrNull(row?.monthly_upload_quota),
    jobQuota: toNumberOrNull(row?.monthly_job_quota),
  };
}
