import { expect, test } from "bun:test";
import { waitFor } from "@crpipeline/testing";
import { describeEachEngine, seedJob, seedTenant } from "./db.test-utils.ts";
import { cancelJob, retryJob } from "./jobs.repository.ts";
import { JOBS_QUEUED_CHANNEL, listenForQueuedJobs } from "./queue-signal.ts";

const enqueue = seedJob;

describeEachEngine(
  "queue signal",
  (current) => {
    test("a job queued or retried elsewhere wakes a listener, on commit only", async () => {
      const test = current();
      const listenerDb = await test.connect();
      let signals = 0;
      const stop = await listenForQueuedJobs(listenerDb, () => {
        signals += 1;
      });
      if (test.engine === "sqlite") {
        // No channel between SQLite processes: the caller is told so and polls instead.
        expect(stop).toBeNull();
        return;
      }
      if (!stop) throw new Error("Postgres should listen");
      try {
        const { org } = await seedTenant(test.db);
        const job = await enqueue(test.db, org.id);
        await waitFor(async () => signals >= 1, { what: "a signal for the new job" });
        expect(signals).toBe(1);

        // Canceling sends nothing (the job left the queue); a retry queues it again.
        await cancelJob(test.db, org.id, job.id);
        await retryJob(test.db, org.id, job.id);
        await waitFor(async () => signals >= 2, { what: "a signal for the retried job" });

        // NOTIFY is delivered on commit: a rolled-back one never arrives, and the committed job
        // after it arrives alone.
        const rolledBack = test.db.transaction(async (tx) => {
          await tx.sql`SELECT pg_notify(${JOBS_QUEUED_CHANNEL}, '')`;
          throw new Error("abandon");
        });
        await expect(rolledBack).rejects.toThrow("abandon");
        await enqueue(test.db, org.id);
        await waitFor(async () => signals >= 3, { what: "a signal for the third job" });
        await Bun.sleep(100);
        expect(signals).toBe(3);
      } finally {
        await stop();
      }
    });
  },
  { fresh: "each" },
);
