/**
 * The object journal makes "a document row and its object, or neither" hold across crashes.
 * An upload writes `upload` for its key before the first byte goes to S3 and removes it in the
 * transaction that creates the document row; a deletion writes `delete` for every key in the
 * transaction that removes the rows. Whatever a process leaves behind when it dies is in the
 * journal, and the sweeper finishes it: stale uploads become deletions, deletions are carried
 * out and then forgotten.
 */

import { AppError } from "@crpipeline/errors";
import type { Database, Executor } from "./database.ts";

export type JournalReason = "upload" | "delete";

export interface JournalEntry {
  storageKey: string;
  reason: JournalReason;
  createdAt: number;
}

/** Notes that an upload to `key` begins; its object is garbage unless `commitUpload` runs. */
export async function journalUpload(db: Executor, key: string, now = Date.now()): Promise<void> {
  await db.sql`
    INSERT INTO object_journal (storage_key, reason, created_at) VALUES (${key}, 'upload', ${now})`;
}

/**
 * Inside the transaction that creates the row naming `key`: takes the upload's entry out of the
 * journal. A 503 when the sweeper already gave the upload up (it ran past the grace period):
 * the object is being deleted, so no row may point at it.
 */
export async function commitUpload(tx: Executor, key: string): Promise<void> {
  const claimed = await tx.sql`
    DELETE FROM object_journal WHERE storage_key = ${key} AND reason = 'upload'
    RETURNING storage_key`;
  if (claimed.length === 0) {
    throw new AppError(
      "upload_abandoned",
      "The upload took too long and was discarded; send it again",
      503,
    );
  }
}

/** Marks `keys` for deletion (new entries, or an upload's entry turned into a deletion). */
export async function journalDeletes(
  db: Executor,
  keys: readonly string[],
  now = Date.now(),
): Promise<void> {
  if (keys.length === 0) return;
  const rows = keys.map((key) => ({ storage_key: key, reason: "delete", created_at: now }));
  await db.sql`
    INSERT INTO object_journal ${db.sql(rows)}
    ON CONFLICT (storage_key) DO UPDATE SET reason = 'delete'`;
}

/** Forgets `key` once its object is known to be gone. */
export async function forgetObject(db: Executor, key: string): Promise<void> {
  await db.sql`DELETE FROM object_journal WHERE storage_key = ${key} AND reason = 'delete'`;
}

/**
 * Turns uploads older than `before` into deletions (their process died, or they stalled) and
 * returns up to `limit` deletions to carry out, oldest first.
 */
export async function dueDeletions(
  db: Database,
  before: number,
  limit = 500,
): Promise<JournalEntry[]> {
  await db.sql`
    UPDATE object_journal SET reason = 'delete' WHERE reason = 'upload' AND created_at < ${before}`;
  const rows = await db.sql<{ storage_key: string; reason: string; created_at: number | string }>`
    SELECT storage_key, reason, created_at FROM object_journal WHERE reason = 'delete'
    ORDER BY created_at, storage_key LIMIT ${limit}`;
  return rows.map((row) => ({
    storageKey: row.storage_key,
    reason: row.reason as JournalReason,
    createdAt: Number(row.created_at),
  }));
}

/** Entries by reason: what is still waiting for the sweeper. */
export async function journalCounts(db: Executor): Promise<Record<JournalReason, number>> {
  const rows = await db.sql<{ reason: JournalReason; n: number | string }>`
    SELECT reason, COUNT(*) AS n FROM object_journal GROUP BY reason`;
  const counts: Record<JournalReason, number> = { upload: 0, delete: 0 };
  for (const row of rows) counts[row.reason] = Number(row.n);
  return counts;
}
