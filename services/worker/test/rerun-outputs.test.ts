/**
 * A job that runs again lists only what its latest run stored: a retried job that stops at an
 * earlier stage than its first run no longer shows (or keeps in S3) that run's later outputs.
 */

import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { cancelJob, retryJob } from "@crpipeline/db";
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
const { parse, ai } = TEXT_STAGES;

const fake = fakeAiForFile();

describeEachHarness("outputs of a job that runs again", (current) => {
  let harness: Harness;
  let worker: Worker;
  beforeAll(() => {
    harness = current();
    worker = startWorker(harness.runtime, { concurrency: 1, leaseSeconds: 30, pollIntervalMs: 50 });
  });
  afterAll(() => worker.stop());

  test("a retry that fails sooner lists, and keeps, only its own outputs", async () => {
    // First run: parse and the first AI stage finish; the second AI call is held and the job
    // is canceled meanwhile, so it stops before the third: outputs 0, 1 and 2.
    await useAiEndpoint(harness, fake.url, fake.apiKey);
    let calls = 0;
    fake.reply((prompt) => {
      calls += 1;
      if (calls === 1) fake.hold();
      return `summary of ${prompt.length} characters`;
    });
    const document = await uploadText(harness);
    const queued = await harness.queue(document.id, [parse, ai, ai, ai]);
    const before = fake.received();
    worker.wake();
    await waitFor(async () => fake.received() === before + 2, {
      what: "the second AI call, held",
    });
    await cancelJob(harness.runtime.db, harness.orgId, queued.id);
    fake.release();
    const first = await harness.waitForStatus(queued.id, ["canceled", "succeeded", "failed"]);
    expect(first.status).toBe("canceled");
    expect(first.outputs.map((o) => `${o.index}-${o.name}`)).toEqual(["0-parse", "1-ai", "2-ai"]);
    const prefix = `orgs/${harness.orgId}/jobs/${queued.id}/`;
    expect((await harness.runtime.store.list(prefix)).map((o) => o.key).sort()).toEqual(
      first.outputs.map((o) => o.storageKey).sort(),
    );

    // Second run: no AI endpoint, so it fails at stage 1 and stores parse alone.
    await useAiEndpoint(harness, null, null);
    await retryJob(harness.runtime.db, harness.orgId, queued.id);
    worker.wake();
    await waitFor(async () => (await harness.job(queued.id)).attempts === 1, {
      what: "the retry to be claimed",
    });
    const second = await harness.waitForStatus(queued.id, ["failed", "succeeded", "canceled"]);
    expect(second.status).toBe("failed");
    expect(second.error).toContain("AI endpoint not configured");
    expect(second.outputs.map((o) => `${o.index}-${o.name}`)).toEqual(["0-parse"]);
    expect((await harness.runtime.store.list(prefix)).map((o) => o.key)).toEqual(
      second.outputs.map((o) => o.storageKey),
    );
    // The parse output is this run's, written after the retry.
    expect(second.outputs[0]?.createdAt).toBeGreaterThanOrEqual(second.startedAt ?? Infinity);
  });
});
