/**
 * Fans job events out to Server-Sent Event streams. Workers may run in other processes, so the
 * hub tails the job_events table (one query per organisation with listeners, every tick)
 * instead of relying on an in-process bus. Ids are committed in order within an organisation
 * (see the db package), which is what makes a per-organisation cursor safe.
 */

import { type Database, type JobEvent, latestJobEventId, listJobEvents } from "@crpipeline/db";
import type { Logger } from "@crpipeline/log";

export type Listener = (event: JobEvent) => void;

export interface EventHub {
  /** Events of `orgId` (optionally one job) after `afterId`, then every new one. */
  subscribe(orgId: string, afterId: number, listener: Listener, jobId?: string): () => void;
  /** The organisation's newest event id: where a stream of only new events starts. */
  latestId(orgId: string): Promise<number>;
  stop(): void;
}

interface Subscription {
  afterId: number;
  jobId?: string;
  listener: Listener;
}

export function createEventHub(db: Database, logger: Logger, tickMs = 250): EventHub {
  const byOrg = new Map<string, Set<Subscription>>();
  let timer: Timer | undefined;
  let polling = false;

  async function pollOrg(orgId: string, subscriptions: Set<Subscription>) {
    const from = Math.min(...[...subscriptions].map((s) => s.afterId));
    const events = await listJobEvents(db, orgId, { afterId: from, limit: 500 });
    for (const subscription of subscriptions) {
      for (const event of events) {
        if (event.id <= subscription.afterId) continue;
        subscription.afterId = event.id;
        if (subscription.jobId && subscription.jobId !== event.jobId) continue;
        subscription.listener(event);
      }
    }
  }

  async function tick() {
    if (polling) return;
    polling = true;
    try {
      for (const [orgId, subscriptions] of byOrg) await pollOrg(orgId, subscriptions);
    } catch (error) {
      logger.warn({ error }, "job event poll failed; retrying");
    } finally {
      polling = false;
    }
  }

  return {
    subscribe(orgId, afterId, listener, jobId) {
      const subscription: Subscription = { afterId, listener, jobId };
      const set = byOrg.get(orgId) ?? new Set();
      set.add(subscription);
      byOrg.set(orgId, set);
      timer ??= setInterval(tick, tickMs);
      return () => {
        set.delete(subscription);
        if (set.size === 0) byOrg.delete(orgId);
        if (byOrg.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
    latestId: (orgId) => latestJobEventId(db, orgId),
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      byOrg.clear();
    },
  };
}
