/**
 * Housekeeping the API runs on timers: job events past their resume window and dead revocations
 * hourly, and every minute the object journal's leftovers (see `sweepObjects`).
 */

import { type Database, pruneJobEvents, pruneRevokedTokens } from "@crpipeline/db";
import type { Logger } from "@crpipeline/log";
import type { ObjectStore } from "@crpipeline/storage";
import { sweepObjects, UPLOAD_GRACE_MS } from "./objects.ts";

export interface MaintenanceOptions {
  everyMs?: number;
  /** How often the object journal is swept. */
  sweepEveryMs?: number;
  uploadGraceMs?: number;
  /** How long a client can resume an event stream (Last-Event-ID) after missing events. */
  keepEventsMs?: number;
}

const DAY = 24 * 60 * 60 * 1000;

/**
 * Several API replicas may run this at once: the deletes are idempotent. Revoked-token rows are
 * only needed until the token would have expired anyway.
 */
export function startMaintenance(
  { db, store, logger }: { db: Database; store: ObjectStore; logger: Logger },
  {
    everyMs = 60 * 60 * 1000,
    keepEventsMs = 7 * DAY,
    sweepEveryMs = 60 * 1000,
    uploadGraceMs = UPLOAD_GRACE_MS,
  }: MaintenanceOptions = {},
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
  const sweep = async () => {
    try {
      await sweepObjects({ db, store, logger }, { uploadGraceMs });
    } catch (error) {
      logger.warn({ error }, "object sweep failed; trying again at the next run");
    }
  };
  const timer = setInterval(run, everyMs);
  const sweepTimer = setInterval(sweep, sweepEveryMs);
  return {
    run,
    stop: () => {
      clearInterval(timer);
      clearInterval(sweepTimer);
    },
  };
}
