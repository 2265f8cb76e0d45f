import { expect, setDefaultTimeout, test } from "bun:test";
import { waitFor } from "@crpipeline/testing";
import { startWorker } from "../src/worker.ts";
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

describeEachHarness("worker metrics", (current) => {
  test("every contract metric moves as jobs run", async () => {
    const harness = current();
    await useAiEndpoint(harness, fake.url, fake.apiKey);
    // A runtime of its own: its telemetry has seen nothing yet.
    const runtime = await harness.openRuntime();
    const metric = (name: string, labels: Record<string, string> = {}) =>
      harness.metric(name, labels, runtime);

    const document = await uploadText(harness);
    const first = await harness.queue(document.id, [parse, ai, report]);
    const second = await harness.queue(document.id, [parse, report]);
    const third = await harness.queue(document.id, [parse, report]);
    expect(await metric("queued_jobs")).toBe(0);

    fake.hold();
    const worker = startWorker(runtime, { concurrency: 1, leaseSeconds: 30, pollIntervalMs: 50 });
    await waitFor(async () => (await harness.job(first.id)).currentStage === 1, {
      what: "the first job's AI stage",
    });
    // Sampled before the first claim, while all three waited.
    expect(await metric("queued_jobs")).toBe(3);
    expect(await metric("running_jobs")).toBe(1);
    expect(await metric("job_queue_wait_seconds_count")).toBe(1);
    expect(await metric("stage_duration_seconds_count", { stage: "parse" })).toBe(1);
    expect(await metric("jobs_total", { status: "succeeded" })).toBe(0);

    fake.release();
    for (const job of [first, second, third]) {
      expect((await harness.waitForStatus(job.id, ["succeeded", "failed"])).status).toBe(
        "succeeded",
      );
    }
    await worker.idle();

    expect(await metric("jobs_total", { status: "succeeded" })).toBe(3);
    expect(await metric("jobs_total", { status: "failed" })).toBe(0);
    expect(await metric("job_duration_seconds_count", { status: "succeeded" })).toBe(3);
    expect(await metric("job_duration_seconds_sum", { status: "succeeded" })).toBeGreaterThan(0);
    const stages = (stage: string) =>
      metric("stage_duration_seconds_count", { stage, status: "succeeded" });
    expect(await stages("parse")).toBe(3);
    expect(await stages("ai")).toBe(1);
    expect(await stages("report")).toBe(3);
    expect(await stages("ocr")).toBe(0);
    expect(await metric("running_jobs")).toBe(0);
    expect(await metric("job_queue_wait_seconds_count")).toBe(3);
    expect(await metric("job_retries_total")).toBe(0);
    expect(await metric("worker_shutdowns_total")).toBe(0);

    await worker.stop();
    expect(await metric("worker_shutdowns_total")).toBe(1);
  });
});
