import { expect, test } from "bun:test";
import { AppError } from "@crpipeline/errors";
import type { Database } from "./database.ts";
import { describeEachEngine, seedDocument, seedJob, seedTenant } from "./db.test-utils.ts";
import {
  appendJobEvent,
  latestJobEventId,
  listJobEvents,
  pruneJobEvents,
} from "./job-events.repository.ts";
import { cancelJob, countJobs, createJob, getJob, listJobs, retryJob } from "./jobs.repository.ts";
import { claimJob, finishJob } from "./queue.ts";
import { getStageOutput, listStageOutputs, upsertStageOutput } from "./stage-outputs.repository.ts";

async function statusOf(promise: Promise<unknown>): Promise<number> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return (error as AppError).status;
}

const queuedJob = (db: Database, orgId: string) => seedJob(db, orgId);

describeEachEngine(
  "jobs",
  (current) => {
    test("create needs the document (and pipeline) of the same organisation", async () => {
      const { db } = current();
      const a = await seedTenant(db, "a");
      const b = await seedTenant(db, "b");
      const foreignDoc = await seedDocument(db, b.org.id);
      const input = {
        orgId: a.org.id,
        documentId: foreignDoc.id,
        pipelineId: null,
        pipelineName: "x",
        stages: [],
        maxAttempts: 3,
      };
      expect(await statusOf(createJob(db, input))).toBe(404);
      const ownDoc = await seedDocument(db, a.org.id);
      const job = await createJob(db, { ...input, documentId: ownDoc.id });
      expect(job).toMatchObject({
        status: "queued",
        attempts: 0,
        progress: 0,
        cancelRequested: false,
      });
      expect(
        await statusOf(createJob(db, { ...input, documentId: ownDoc.id, pipelineId: "nope" })),
      ).toBe(404);
      expect(await countJobs(db, a.org.id, "queued")).toBe(1);
    });

    test("get, list and filters never show another organisation's job", async () => {
      const { db } = current();
      const a = await seedTenant(db, "a");
      const b = await seedTenant(db, "b");
      const mine = await queuedJob(db, a.org.id);
      const theirs = await queuedJob(db, b.org.id);
      expect(await getJob(db, a.org.id, theirs.id)).toBeNull();
      expect((await getJob(db, a.org.id, mine.id))?.outputs).toEqual([]);
      expect(await cancelJob(db, a.org.id, theirs.id)).toBeNull();
      expect(await retryJob(db, a.org.id, theirs.id)).toBeNull();
      expect((await listJobs(db, a.org.id)).items.map((j) => j.id)).toEqual([mine.id]);
      expect((await listJobs(db, a.org.id, { status: "running" })).total).toBe(0);
      expect((await listJobs(db, a.org.id, { documentId: mine.documentId })).total).toBe(1);
      expect((await getJob(db, b.org.id, theirs.id))?.status).toBe("queued");
    });

    test("cancel: queued at once, running by request, finished is 409", async () => {
      const { db } = current();
      const { org } = await seedTenant(db);
      const queued = await queuedJob(db, org.id);
      const canceled = await cancelJob(db, org.id, queued.id);
      expect(canceled).toMatchObject({ status: "canceled", cancelRequested: false });
      expect(canceled?.finishedAt).toBeNumber();
      expect(await statusOf(cancelJob(db, org.id, queued.id))).toBe(409);

      const other = await queuedJob(db, org.id);
      const claim = await claimJob(db, { workerId: "w1", leaseSeconds: 30 });
      expect(claim?.job.id).toBe(other.id);
      const requested = await cancelJob(db, org.id, other.id);
      expect(requested).toMatchObject({ status: "running", cancelRequested: true });
    });

    test("retry: failed or canceled back to queued with attempts reset; others 409", async () => {
      const { db } = current();
      const { org } = await seedTenant(db);
      const job = await queuedJob(db, org.id);
      expect(await statusOf(retryJob(db, org.id, job.id))).toBe(409);
      await claimJob(db, { workerId: "w1", leaseSeconds: 30 });
      await finishJob(db, job.id, "w1", { status: "failed", error: "boom" });
      const retried = await retryJob(db, org.id, job.id);
      expect(retried).toMatchObject({
        status: "queued",
        attempts: 0,
        error: null,
        startedAt: null,
        finishedAt: null,
        currentStage: 0,
      });
      await claimJob(db, { workerId: "w1", leaseSeconds: 30 });
      await finishJob(db, job.id, "w1", { status: "succeeded" });
      expect(await statusOf(retryJob(db, org.id, job.id))).toBe(409);
    });

    test("stage outputs: upsert replaces per (job, index, name), scoped reads", async () => {
      const { db } = current();
      const a = await seedTenant(db, "a");
      const b = await seedTenant(db, "b");
      const job = await queuedJob(db, a.org.id);
      const base = {
        jobId: job.id,
        orgId: a.org.id,
        index: 0,
        stage: "ocr",
        name: "json",
        storageKey: "k0",
        contentType: "application/json",
        size: 10,
      };
      const first = await upsertStageOutput(db, base);
      const again = await upsertStageOutput(db, { ...base, size: 20, storageKey: "k0b" });
      await upsertStageOutput(db, { ...base, index: 1, stage: "report", name: "pdf" });
      expect(again.id).toBe(first.id);
      const outputs = await listStageOutputs(db, a.org.id, job.id);
      expect(outputs.map((o) => [o.index, o.name, o.size])).toEqual([
        [0, "json", 20],
        [1, "pdf", 10],
      ]);
      expect((await getJob(db, a.org.id, job.id))?.outputs).toEqual(outputs);
      expect(await getStageOutput(db, a.org.id, job.id, first.id)).toMatchObject({ size: 20 });
      expect(await getStageOutput(db, b.org.id, job.id, first.id)).toBeNull();
      expect(await getStageOutput(db, a.org.id, "other-job", first.id)).toBeNull();
      expect(await listStageOutputs(db, b.org.id, job.id)).toEqual([]);
      expect(await statusOf(upsertStageOutput(db, { ...base, orgId: b.org.id }))).toBe(404);
    });

    test("events: every change is appended; tail by id per organisation and job; prune", async () => {
      const { db } = current();
      const a = await seedTenant(db, "a");
      const b = await seedTenant(db, "b");
      const start = await latestJobEventId(db, a.org.id);
      const job = await queuedJob(db, a.org.id);
      const theirs = await queuedJob(db, b.org.id);
      await cancelJob(db, a.org.id, job.id);
      await appendJobEvent(db, {
        orgId: a.org.id,
        jobId: job.id,
        type: "job.progress",
        payload: { status: "queued", currentStage: 0, progress: 0.5 },
      });

      const events = await listJobEvents(db, a.org.id, { afterId: start });
      expect(events.map((e) => e.type)).toEqual(["job.created", "job.status", "job.progress"]);
      expect(events[1]?.payload).toMatchObject({ status: "canceled" });
      expect(events.every((e) => e.jobId === job.id && typeof e.id === "number")).toBe(true);
      const ids = events.map((e) => e.id);
      expect(ids).toEqual([...ids].sort((x, y) => x - y));

      expect(await latestJobEventId(db, a.org.id)).toBe(ids.at(-1) as number);
      const theirEvents = await listJobEvents(db, b.org.id, { afterId: 0 });
      expect(await latestJobEventId(db, b.org.id)).toBe(theirEvents.at(-1)?.id as number);
      expect(ids).not.toContain(theirEvents.at(-1)?.id as number);
      const tail = await listJobEvents(db, a.org.id, { afterId: ids[0] as number });
      expect(tail.map((e) => e.id)).toEqual(ids.slice(1));
      expect(await listJobEvents(db, a.org.id, { afterId: start, jobId: theirs.id })).toEqual([]);
      expect((await listJobEvents(db, b.org.id, { afterId: start })).map((e) => e.jobId)).toEqual([
        theirs.id,
      ]);
      expect(await listJobEvents(db, a.org.id, { afterId: start, limit: 1 })).toHaveLength(1);

      expect(await pruneJobEvents(db, Date.now() + 1)).toBeGreaterThanOrEqual(4);
      expect(await listJobEvents(db, a.org.id, { afterId: 0 })).toEqual([]);
    });
  },
  { fresh: "each" },
);
