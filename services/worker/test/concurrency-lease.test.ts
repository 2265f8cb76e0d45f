/**
 * Jobs at once up to the concurrency, a lease kept alive past its length while a stage runs, and
 * an AI call that times out retried as a new attempt of the job.
 */

import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { waitFor } from "@crpipeline/testing";
import { startWorker, type Worker } from "../src/worker.ts";
import { fakeAiForFile } from "./fake-ai.ts";
import {
  describeEachHarness,
  TEXT_STAGES,
  uploadText,
  useAiEndpoint,
} from "./worker.test-utils.ts";

setDefaultTimeout(60_000);
const { parse, ai, report } = TEXT_STAGES;

const fake = fakeAiForFile();

describeEachHarness("concurrency and leases", (current) => {
  const workers: Worker[] = [];
  const start = (options: Parameters<typeof startWorker>[1], runtime = current().runtime) => {
    const worker = startWorker(runtime, { pollIntervalMs: 50, ...options });
    workers.push(worker);
    return worker;
  };
  afterEach(async () => {
    fake.release();
    for (const worker of workers.splice(0)) await worker.stop();
  });

  test("a worker runs as many jobs at once as its concurrency, and no more", async () => {
    const harness = current();
    await useAiEndpoint(harness, fake.url, fake.apiKey);
    const document = await uploadText(harness);
    const jobs = [];
    for (let i = 0; i < 4; i++) jobs.push(await harness.queue(document.id, [ai, report]));
    const calls = fake.received();

    fake.hold();
    start({ concurrency: 3, leaseSeconds: 30 });
    await waitFor(() => fake.received() - calls === 3, { what: "three AI calls in flight" });
    // Give a fourth claim every chance to happen before looking.
    await Bun.sleep(300);
    expect(fake.received() - calls).toBe(3);
    expect(await harness.metric("running_jobs")).toBe(3);
    const statuses = await Promise.all(jobs.map(async (j) => (await harness.job(j.id)).status));
    expect(statuses.filter((s) => s === "running")).toHaveLength(3);
    expect(statuses.filter((s) => s === "queued")).toHaveLength(1);

    fake.release();
    for (const job of jobs) {
      expect((await harness.waitForStatus(job.id, ["succeeded", "failed"])).status).toBe(
        "succeeded",
      );
    }
  });

  test("a stage longer than the lease keeps its job against a polling worker", async () => {
    const harness = current();
    await useAiEndpoint(harness, fake.url, fake.apiKey);
    const other = await harness.openRuntime();
    const reclaimsBefore = await harness.metric("job_retries_total", { reason: "lease_expired" });
    const document = await uploadText(harness);
    const job = await harness.queue(document.id, [parse, ai, report]);

    fake.hold();
    const owner = start({ concurrency: 1, leaseSeconds: 1 }).id;
    await waitFor(async () => (await harness.job(job.id)).currentStage === 1, {
      what: "the job's AI stage",
    });
    expect((await harness.job(job.id)).leaseOwner).toBe(owner);
    // A second worker polls the same queue for three lease lengths while the AI call hangs.
    start({ concurrency: 1, leaseSeconds: 1 }, other);
    await Bun.sleep(3_000);
    const during = await harness.job(job.id);
    expect(during).toMatchObject({ status: "running", attempts: 1, leaseOwner: owner });
    expect(during.leaseExpiresAt).toBeGreaterThan(Date.now());

    fake.release();
    const done = await harness.waitForStatus(job.id, ["succeeded", "failed"]);
    expect(done).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(await harness.metric("job_retries_total", { reason: "lease_expired" })).toBe(
      reclaimsBefore,
    );
    expect(await harness.metric("job_retries_total", { reason: "lease_expired" }, other)).toBe(0);
  });

  test("an AI call that times out is retried as a new attempt, which then succeeds", async () => {
    const harness = current();
    await useAiEndpoint(harness, fake.url, fake.apiKey);
    const retriesBefore = await harness.metric("job_retries_total", { reason: "stage_error" });
    const aiErrorsBefore = await harness.metric("ai_ocr_errors_total", { service: "ai" });
    const document = await uploadText(harness);
    const job = await harness.queue(document.id, [parse, { ...ai, timeoutMs: 1000 }, report]);

    fake.hold();
    start({ concurrency: 1, leaseSeconds: 30, retryBackoff: { baseMs: 200, capMs: 500 } });
    const requeued = await waitFor(
      async () => {
        const now = await harness.job(job.id);
        return now.status === "queued" && now.attempts === 1 ? now : null;
      },
      { what: "the job back in the queue after the AI timeout" },
    );
    expect(requeued.error).toBe(
      "Stage 2 of 3 (ai): AI call failed after 1 attempt: no answer within 1000 ms",
    );
    expect(await harness.metric("job_retries_total", { reason: "stage_error" })).toBe(
      retriesBefore + 1,
    );
    expect(await harness.metric("ai_ocr_errors_total", { service: "ai" })).toBe(aiErrorsBefore + 1);

    fake.release();
    const done = await harness.waitForStatus(job.id, ["succeeded", "failed"]);
    expect(done.status).toBe("succeeded");
    expect(done.attempts).toBe(2);
  });
});
