/**
 * Wake-ups across processes on Postgres: the transaction that makes a job claimable sends a
 * NOTIFY (delivered when it commits), and every worker that LISTENs looks at the queue at once
 * instead of at its next poll. SQLite has no such channel: the all-in-one launcher wakes its
 * worker directly, and workers in other processes poll.
 */

import type { Database, Executor } from "./database.ts";

export const JOBS_QUEUED_CHANNEL = "crpipeline_jobs_queued";

export async function signalJobQueued(tx: Executor): Promise<void> {
  if (tx.engine === "postgres") await tx.sql`SELECT pg_notify(${JOBS_QUEUED_CHANNEL}, '')`;
}

/**
 * Calls `onQueued` whenever another connection queues a job; resolves to the function that stops
 * listening, or null where the engine cannot signal (SQLite).
 */
export async function listenForQueuedJobs(
  db: Database,
  onQueued: () => void,
): Promise<(() => Promise<void>) | null> {
  return db.listen ? db.listen(JOBS_QUEUED_CHANNEL, onQueued) : null;
}
