/**
 * Deleting objects the object journal marks for deletion, and sweeping what is left there: the
 * uploads and deletions of processes that died or met an S3 outage half-way.
 */

import { type Database, dueDeletions, forgetObject } from "@crpipeline/db";
import type { Logger } from "@crpipeline/log";
import type { ObjectStore } from "@crpipeline/storage";

interface ObjectDeps {
  db: Database;
  store: ObjectStore;
}

/**
 * Deletes `key` and forgets it. When S3 (or the database) fails, the store keeps retrying in
 * this process, and the journal entry stays for the sweeper should this process end first.
 */
export async function deleteJournaled({ db, store }: ObjectDeps, key: string): Promise<void> {
  try {
    await store.delete(key);
    await forgetObject(db, key);
  } catch {
    await store.discard(key);
  }
}

export interface SweepResult {
  deleted: number;
  /** Entries left for the next sweep because S3 or the database failed. */
  left: number;
}

/** An upload older than this is given up: its process died, or its client stalled that long. */
export const UPLOAD_GRACE_MS = 60 * 60 * 1000;

/**
 * One pass over the journal: uploads past `uploadGraceMs` become deletions, and deletions are
 * carried out. Stops at the first failure (S3 is most likely down) and leaves the rest.
 * Several API replicas may sweep at once: deleting an object twice is harmless.
 */
export async function sweepObjects(
  { db, store, logger }: ObjectDeps & { logger: Logger },
  { uploadGraceMs = UPLOAD_GRACE_MS, now = Date.now() } = {},
): Promise<SweepResult> {
  const due = await dueDeletions(db, now - uploadGraceMs);
  let deleted = 0;
  for (const entry of due) {
    try {
      await store.delete(entry.storageKey);
      await forgetObject(db, entry.storageKey);
      deleted += 1;
    } catch (error) {
      logger.warn({ error, left: due.length - deleted }, "object sweep stopped; next pass retries");
      break;
    }
  }
  if (deleted > 0)
    logger.info({ deleted }, "swept objects left by unfinished uploads and deletions");
  return { deleted, left: due.length - deleted };
}
