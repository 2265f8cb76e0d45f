/** Housekeeping the API runs on a timer: job events past their resume window, dead revocations. */

import { type Database, pruneJobEvents, pruneRevokedTokens } from "@crpipeline/db";
import type { Logger } from "@crpipeline/log";

export interface MaintenanceOptions {
  everyMs?: number;
  /** How long a client can resume an event stream (Last-Event-ID) after missing events. */
  keepEventsMs?: number;
}

const DAY = 24 * 60 * 60 * 1000;

/**
 * Several API replicas may run this at once: the deletes are idempotent. Revoked-token rows are
 * only needed until the token would have expired anyway.
 */
export function startMaintenance(
  { db, logger }: { db: Database; logger: Logger },
  { everyMs = 60 * 60 * 1000, keepEventsMs = 7 * DAY }: MaintenanceOptions = {},
) {
  const run = async () => {
    try {
      const events = await pruneJobEvents(db, Date.now() - keepEventsMs);
      const revocations = await pruneRevokedTokens(db);
      if (events + revocations > 0) logger.info({ events, revocations }, "pruned old rows");
    } catch (error) {
      logger.warn({ error }, "maintenance failed; trying again at the next run");
    }
  };
  const timer = setInterval(run, everyMs);
  return { run, stop: () => clearInterval(timer) };
}
