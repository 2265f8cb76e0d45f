import { expect, test } from "bun:test";
import type { Database } from "./database.ts";
import { describeEachEngine, seedJob, seedTenant } from "./db.test-utils.ts";
import { listJobEvents } from "./job-events.repository.ts";
import { cancelJob, getJob } from "./jobs.repository.ts";
import {
  claimJob,
  failExpiredJobs,
  finishJob,
  isCancelRequested,
  queueDepth,
  releaseJob,
  renewLease,
  requeueForRetry,
  updateProgress,
} from "./queue.ts";

const enqueue = seedJob;

describeEachEngine(
  "queue",
  (current) => {
    test("claims the oldest queued job once, with a lease and a first attempt", async () => {
      const { db } = current();
      const { org } = await seedTenant(db);
      expect(await claimJob(db, { workerId: "w1", leaseSeconds: 30 })).toBeNull();
      const first = await enqueue(db, org.id);
      const second = await enqueue(db, org.id);
      expect(await queueDepth(db)).toBe(2);

      const now = Date.now();
      const claim = await claimJob(db, { workerId: "w1", leaseSeconds: 30, now });
      expect(claim?.job).toMatchObject({
        id: first.id,
        status: "running",
        attempts: 1,
        leaseOwner: "w1",
        leaseExpiresAt: now + 30_000,
        startedAt: now,
      });
      expect(claim?.reclaimed).toBe(false);
      expect(claim?.queueWaitMs).toBe(now - first.queuedAt);
      expect((await claimJob(db, { workerId: "w2", leaseSeconds: 30 }))?.job.id).toBe(second.id);
      expect(await claimJob(db, { workerId: "w3", leaseSeconds: 30 })).toBeNull();
      expect(await queueDepth(db)).toBe(0);
    });

    test("many concurrent claimers on separate connections never share a job", async () => {
      const test = current();
      const { org } = await seedTenant(test.db);
      const jobs = [];
      for (let i = 0; i < 20; i++) jobs.push(await enqueue(test.db, org.id));
      const clients = [test.db, await test.connect(), await test.connect(), await test.connect()];

      const claims = await Promise.all(
        Array.from({ length: 48 }, (_, i) =>
          claimJob(clients[i % clients.length] as Database, {
            workerId: `w${i}`,
            leaseSeconds: 30,
          }),
        ),
      );
      const claimed = claims.filter((c) => c !== null).map((c) => c.job.id);
      expect(claimed).toHaveLength(20);
      expect(new Set(claimed).size).toBe(20);
      expect(new Set(claimed)).toEqual(new Set(jobs.map((j) => j.id)));
    });

    test("an expired lease is re-claimed, flagged, and the old worker is shut out", async () => {
      const { db } = current();
      const { org } = await seedTenant(db);
      const job = await enqueue(db, org.id);
      const t0 = Date.now();
      await claimJob(db, { workerId: "old", leaseSeconds: 5, now: t0 });
      expect(await claimJob(db, { workerId: "new", leaseSeconds: 5, now: t0 + 4_000 })).toBeNull();

      const claim = await claimJob(db, { workerId: "new", leaseSeconds: 5, now: t0 + 6_000 });
      expect(claim?.reclaimed).toBe(true);
      // It waited from the old lease's end (t0 + 5 s), not from when it was first queued.
      expect(claim?.queueWaitMs).toBe(1_000);
      expect(claim?.job).toMatchObject({
        id: job.id,
        attempts: 2,
        leaseOwner: "new",
        startedAt: t0,
      });

      expect(await renewLease(db, job.id, "old", 30)).toBe(false);
      expect(await updateProgress(db, job.id, "old", { currentStage: 1, progress: 0.5 })).toBe(
        false,
      );
      expect(await finishJob(db, job.id, "old", { status: "succeeded" })).toBeNull();
      expect(await releaseJob(db, job.id, "old")).toBe(false);
      expect(await requeueForRetry(db, job.id, "old", "err")).toBe("lost");
      expect((await getJob(db, org.id, job.id))?.leaseOwner).toBe("new");

      expect(await renewLease(db, job.id, "new", 60)).toBe(true);
      const renewed = await getJob(db, org.id, job.id);
      expect(renewed?.leaseExpiresAt).toBeGreaterThanOrEqual(Date.now() + 59_000);
    });

    test("attempts exhausted by lease expiries: failed with the reason, never claimed", async () => {
      const { db } = current();
      const { org } = await seedTenant(db);
      const job = await enqueue(db, org.id, 2);
      const t0 = Date.now();
      await claimJob(db, { workerId: "a", leaseSeconds: 1, now: t0 });
      await claimJob(db, { workerId: "b", leaseSeconds: 1, now: t0 + 2_000 });
      expect(await claimJob(db, { workerId: "c", leaseSeconds: 1, now: t0 + 4_000 })).toBeNull();
      expect(await failExpiredJobs(db, t0 + 1_500)).toEqual([]);

      const failed = await failExpiredJobs(db, t0 + 4_000);
      expect(failed.map((j) => j.id)).toEqual([job.id]);
      expect(failed[0]).toMatchObject({
        status: "failed",
        error: "lease expired after 2 attempts",
        leaseOwner: null,
      });
      expect(await failExpiredJobs(db, t0 + 5_000)).toEqual([]);
      const events = await listJobEvents(db, org.id, { afterId: 0, jobId: job.id });
      expect(events.at(-1)?.payload).toMatchObject({ status: "failed" });
    });

    test("progress, renew and finish by the owner", async () => {
      const { db } = current();
      const { org } = await seedTenant(db);
      const job = await enqueue(db, org.id);
      await claimJob(db, { workerId: "w", leaseSeconds: 30 });
      expect(await updateProgress(db, job.id, "w", { currentStage: 1, progress: 1.7 })).toBe(true);
      expect(await getJob(db, org.id, job.id)).toMatchObject({ currentStage: 1, progress: 1 });
      const done = await finishJob(db, job.id, "w", { status: "succeeded" });
      expect(done).toMatchObject({ status: "succeeded", leaseOwner: null, error: null });
      expect(done?.finishedAt).toBeNumber();
      expect(await renewLease(db, job.id, "w", 30)).toBe(false);
      const types = (await listJobEvents(db, org.id, { afterId: 0 })).map((e) => e.type);
      expect(types).toEqual(["job.created", "job.status", "job.progress", "job.status"]);
    });

    test("release puts the job back without counting the attempt", async () => {
      const { db } = current();
      const { org } = await seedTenant(db);
      const job = await enqueue(db, org.id);
      await claimJob(db, { workerId: "w", leaseSeconds: 30 });
      expect(await releaseJob(db, job.id, "w")).toBe(true);
      expect(await getJob(db, org.id, job.id)).toMatchObject({ status: "queued", attempts: 0 });
      const again = await claimJob(db, { workerId: "w2", leaseSeconds: 30 });
      expect(again).toMatchObject({ reclaimed: false, job: { id: job.id, attempts: 1 } });
    });

    test("requeue for retry respects not_before, then fails when attempts run out", async () => {
      const { db } = current();
      const { org } = await seedTenant(db);
      const job = await enqueue(db, org.id, 2);
      await claimJob(db, { workerId: "w", leaseSeconds: 30 });
      expect(await requeueForRetry(db, job.id, "w", "AI timed out", 60_000)).toBe("requeued");
      const waiting = await getJob(db, org.id, job.id);
      expect(waiting).toMatchObject({ status: "queued", attempts: 1, error: "AI timed out" });
      const due = waiting?.notBefore as number;
      expect(due).toBeGreaterThan(Date.now() + 50_000);

      expect(await claimJob(db, { workerId: "w", leaseSeconds: 30, now: due - 1 })).toBeNull();
      const claim = await claimJob(db, { workerId: "w", leaseSeconds: 30, now: due });
      expect(claim?.job).toMatchObject({ id: job.id, attempts: 2, notBefore: null });
      expect(await requeueForRetry(db, job.id, "w", "AI timed out again")).toBe("failed");
      const failed = await getJob(db, org.id, job.id);
      expect(failed).toMatchObject({ status: "failed", error: "AI timed out again" });
      expect(failed?.finishedAt).toBeNumber();
    });

    test("cancel of a running job is visible to its worker", async () => {
      const { db } = current();
      const { org } = await seedTenant(db);
      const job = await enqueue(db, org.id);
      await claimJob(db, { workerId: "w", leaseSeconds: 30 });
      expect(await isCancelRequested(db, job.id)).toBe(false);
      await cancelJob(db, org.id, job.id);
      expect(await isCancelRequested(db, job.id)).toBe(true);
      const canceled = await finishJob(db, job.id, "w", { status: "canceled" });
      expect(canceled?.status).toBe("canceled");
    });

    test("queue depth counts queued jobs of every organisation", async () => {
      const { db } = current();
      const a = await seedTenant(db, "a");
      const b = await seedTenant(db, "b");
      await enqueue(db, a.org.id);
      await enqueue(db, b.org.id);
      const canceled = await enqueue(db, b.org.id);
      await cancelJob(db, b.org.id, canceled.id);
      expect(await queueDepth(db)).toBe(2);
    });
  },
  { fresh: "each" },
);
