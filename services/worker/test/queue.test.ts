import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { cancelJob, claimJob, retryJob } from "@crpipeline/db";
import { waitFor } from "@crpipeline/testing";
import { startWorker, type Worker } from "../src/worker.ts";
import { fakeAiForFile } from "./fake-ai.ts";
import {
  describeEachHarness,
  type Harness,
  TEXT_STAGES,
  uploadText,
  useAiEndpoint,
} from "./worker.test-utils.ts";

setDefaultTimeout(60_000);
const { parse, ai, report } = TEXT_STAGES;

const fake = fakeAiForFile();

describeEachHarness("cancel, retry and shutdown", (current) => {
  let harness: Harness;
  const workers: Worker[] = [];
  const start = (options: Partial<Parameters<typeof startWorker>[1]> = {}) => {
    const worker = startWorker(harness.runtime, {
      concurrency: 2,
      leaseSeconds: 30,
      pollIntervalMs: 50,
      ...options,
    });
    workers.push(worker);
    return worker;
  };
  const stopAll = async () => {
    for (const worker of workers.splice(0)) await worker.stop();
  };

  beforeAll(async () => {
    harness = current();
    await useAiEndpoint(harness, fake.url, fake.apiKey);
  });
  afterAll(stopAll);

  test("a job canceled while queued is never run", async () => {
    const document = await uploadText(harness);
    const queued = await harness.queue(document.id, [parse, report]);
    await cancelJob(harness.runtime.db, harness.orgId, queued.id);
    const parsesBefore = await harness.metric("stage_duration_seconds_count", { stage: "parse" });

    const worker = start();
    await worker.idle();

    const job = await harness.job(queued.id);
    expect(job.status).toBe("canceled");
    expect(job.attempts).toBe(0);
    expect(job.outputs).toEqual([]);
    expect(await harness.metric("stage_duration_seconds_count", { stage: "parse" })).toBe(
      parsesBefore,
    );
    await stopAll();
  });

  test("a running job canceled mid-stage stops before its next stage", async () => {
    const canceledBefore = await harness.metric("jobs_total", { status: "canceled" });
    const document = await uploadText(harness);
    const queued = await harness.queue(document.id, [parse, ai, report]);
    const received = fake.received();
    fake.hold();
    start().wake();

    // The AI stage has its request in flight: cancel, then let the answer through.
    await waitFor(() => fake.received() > received, { what: "the AI request" });
    await cancelJob(harness.runtime.db, harness.orgId, queued.id);
    fake.release();

    const job = await harness.waitForStatus(queued.id, ["canceled", "succeeded", "failed"]);
    expect(job.status).toBe("canceled");
    expect(job.error).toBeNull();
    expect(job.outputs.map((o) => o.name)).toEqual(["parse", "ai"]);
    expect(await harness.metric("jobs_total", { status: "canceled" })).toBe(canceledBefore + 1);
    await stopAll();
  });

  test("a cancel request reaches a stage that never ends, at the next lease renewal", async () => {
    const document = await uploadText(harness);
    const queued = await harness.queue(document.id, [parse, { ...ai, timeoutMs: 60_000 }, report]);
    const received = fake.received();
    fake.hold();
    start({ leaseSeconds: 2 }).wake();

    await waitFor(() => fake.received() > received, { what: "the AI request" });
    await cancelJob(harness.runtime.db, harness.orgId, queued.id);
    const job = await harness.waitForStatus(queued.id, ["canceled", "succeeded", "failed"], 5_000);
    fake.release();

    expect(job.status).toBe("canceled");
    expect(job.outputs.map((o) => o.name)).toEqual(["parse"]);
    await stopAll();
  });

  test("retrying a failed job runs it again from the start", async () => {
    await useAiEndpoint(harness, null, null);
    const document = await uploadText(harness);
    const queued = await harness.queue(document.id, [parse, ai, report]);
    const worker = start();
    worker.wake();
    const failed = await harness.waitForStatus(queued.id, ["failed", "succeeded"]);
    expect(failed.status).toBe("failed");
    expect(failed.error).toContain("AI endpoint not configured");

    await useAiEndpoint(harness, fake.url, fake.apiKey);
    await retryJob(harness.runtime.db, harness.orgId, queued.id);
    worker.wake();
    const job = await harness.waitForStatus(queued.id, ["succeeded", "failed"]);

    expect(job.status).toBe("succeeded");
    expect(job.attempts).toBe(1);
    expect(job.error).toBeNull();
    expect(job.outputs.map((o) => o.name)).toEqual(["parse", "ai", "report-pdf", "report-summary"]);
    await stopAll();
  });

  test("stop() hands a job still running after the grace period back to the queue", async () => {
    const shutdownsBefore = await harness.metric("worker_shutdowns_total");
    const document = await uploadText(harness);
    const queued = await harness.queue(document.id, [parse, ai, report]);
    const received = fake.received();
    fake.hold();
    const worker = start({ shutdownGraceMs: 200 });
    worker.wake();
    await waitFor(() => fake.received() > received, { what: "the AI request" });
    expect((await harness.job(queued.id)).attempts).toBe(1);

    await worker.stop();
    const released = await harness.job(queued.id);
    expect(released.status).toBe("queued");
    expect(released.attempts).toBe(0);
    expect(released.leaseOwner).toBeNull();
    expect(await harness.metric("running_jobs")).toBe(0);
    expect(await harness.metric("worker_shutdowns_total")).toBe(shutdownsBefore + 1);

    fake.release();
    start().wake();
    const job = await harness.waitForStatus(queued.id, ["succeeded", "failed"]);
    expect(job.status).toBe("succeeded");
    expect(job.attempts).toBe(1);
    await stopAll();
  });

  test("stop() waits for a job that finishes within the grace period", async () => {
    const document = await uploadText(harness);
    const queued = await harness.queue(document.id, [parse, ai, report]);
    const received = fake.received();
    fake.hold();
    const worker = start({ shutdownGraceMs: 20_000 });
    worker.wake();
    await waitFor(() => fake.received() > received, { what: "the AI request" });

    const stopping = worker.stop();
    await Bun.sleep(100);
    fake.release();
    await stopping;
    expect((await harness.job(queued.id)).status).toBe("succeeded");
  });

  test("a worker that loses its lease stops the job without writing a final state", async () => {
    const finishedBefore = await harness.metric("jobs_total");
    const document = await uploadText(harness);
    const queued = await harness.queue(document.id, [parse, ai, report]);
    const received = fake.received();
    fake.hold();
    start({ leaseSeconds: 2 }).wake();
    await waitFor(() => fake.received() > received, { what: "the AI request" });

    // As if the lease had expired and another worker had claimed the job.
    await harness.runtime.db.sql`
      UPDATE jobs SET lease_owner = 'another-worker' WHERE id = ${queued.id}`;
    await waitFor(async () => (await harness.metric("running_jobs")) === 0, {
      timeoutMs: 5_000,
      what: "the job to stop",
    });
    fake.release();
    await stopAll();

    const job = await harness.job(queued.id);
    expect(job.status).toBe("running");
    expect(job.leaseOwner).toBe("another-worker");
    expect(job.error).toBeNull();
    expect(job.outputs.map((o) => o.name)).toEqual(["parse"]);
    expect(await harness.metric("jobs_total")).toBe(finishedBefore);
    await harness.runtime.db.sql`UPDATE jobs SET status = 'failed' WHERE id = ${queued.id}`;
  });

  test("a job whose lease expired with no attempts left is failed and counted", async () => {
    const failedBefore = await harness.metric("jobs_total", { status: "failed" });
    const document = await uploadText(harness);
    const queued = await harness.queue(document.id, [parse, report], 1);
    // A worker that claimed it long ago and died.
    const claim = await claimJob(harness.runtime.db, {
      workerId: "dead-worker",
      leaseSeconds: 1,
      now: Date.now() - 10_000,
    });
    expect(claim?.job.id).toBe(queued.id);

    await start().idle();
    const job = await harness.job(queued.id);
    expect(job.status).toBe("failed");
    expect(job.error).toBe("lease expired after 1 attempts");
    expect(await harness.metric("jobs_total", { status: "failed" })).toBe(failedBefore + 1);
    await stopAll();
  });
});
