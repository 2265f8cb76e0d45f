import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { listJobEvents } from "@crpipeline/db";
import { freePort } from "@crpipeline/testing";
import { startWorker, type Worker } from "../src/worker.ts";
import { fakeAiForFile } from "./fake-ai.ts";
import {
  describeEachHarness,
  fixture,
  type Harness,
  outputText,
  TEXT_STAGES,
  uploadText,
  useAiEndpoint,
} from "./worker.test-utils.ts";

setDefaultTimeout(60_000);
const { parse, ai, report } = TEXT_STAGES;
const BACKOFF = { baseMs: 300, capMs: 2_000 };

const fake = fakeAiForFile();

describeEachHarness("stage failures", (current) => {
  let harness: Harness;
  let worker: Worker;
  const run = async (stages: unknown[], name?: string, maxAttempts = 3) => {
    const document = await uploadText(harness, name);
    const queued = await harness.queue(document.id, stages, maxAttempts);
    worker.wake();
    return harness.waitForStatus(queued.id, ["succeeded", "failed", "canceled"]);
  };

  beforeAll(() => {
    harness = current();
    worker = startWorker(harness.runtime, {
      concurrency: 2,
      leaseSeconds: 30,
      pollIntervalMs: 50,
      retryBackoff: BACKOFF,
    });
  });
  afterAll(() => worker.stop());

  test("an AI endpoint that is down is retried with backoff, then fails with the reason", async () => {
    await useAiEndpoint(harness, `http://127.0.0.1:${await freePort()}/v1`, "sk-down");
    const retriesBefore = await harness.metric("job_retries_total", { reason: "stage_error" });
    const failedBefore = await harness.metric("jobs_total", { status: "failed" });
    const aiFailsBefore = await harness.metric("stage_duration_seconds_count", {
      stage: "ai",
      status: "failed",
    });

    const job = await run([parse, { ...ai, timeoutMs: 1000 }, report]);

    expect(job.status).toBe("failed");
    expect(job.attempts).toBe(3);
    expect(job.error).toStartWith("Stage 2 of 3 (ai): AI call failed after 1 attempt");
    expect(job.outputs.map((o) => o.name)).toEqual(["parse"]);
    expect(await harness.metric("job_retries_total", { reason: "stage_error" })).toBe(
      retriesBefore + 2,
    );
    expect(await harness.metric("jobs_total", { status: "failed" })).toBe(failedBefore + 1);
    expect(
      await harness.metric("stage_duration_seconds_count", { stage: "ai", status: "failed" }),
    ).toBe(aiFailsBefore + 3);

    // Each requeue waited at least half its exponential bound before the next claim.
    const events = await listJobEvents(harness.runtime.db, harness.orgId, {
      afterId: 0,
      jobId: job.id,
    });
    const statuses = events.filter((e) => e.type === "job.status");
    const waits: number[] = [];
    for (const [i, event] of statuses.entries()) {
      const next = statuses[i + 1];
      if (event.payload.status === "queued" && next?.payload.status === "running") {
        waits.push(next.createdAt - event.createdAt);
      }
    }
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(BACKOFF.baseMs / 2);
    expect(waits[1]).toBeGreaterThanOrEqual(BACKOFF.baseMs);
  });

  test("an AI stage with no endpoint configured fails at once", async () => {
    await useAiEndpoint(harness, null, null);
    const retriesBefore = await harness.metric("job_retries_total", { reason: "stage_error" });

    const job = await run([parse, ai, report]);

    expect(job.status).toBe("failed");
    expect(job.attempts).toBe(1);
    expect(job.error).toContain("AI endpoint not configured");
    expect(await harness.metric("job_retries_total", { reason: "stage_error" })).toBe(
      retriesBefore,
    );
  });

  test("an AI stage in JSON mode stores the model's JSON", async () => {
    await useAiEndpoint(harness, fake.url, fake.apiKey);
    fake.reply((prompt, json) =>
      json ? JSON.stringify({ vendor: "Northwind", mentionsTotal: prompt.includes("Total") }) : "",
    );

    const job = await run([{ ...ai, json: true, prompt: "Return JSON for: {{text}}" }, report]);

    expect(job.status).toBe("succeeded");
    const output = job.outputs.find((o) => o.name === "ai");
    expect(output?.storageKey).toEndWith("/0-ai.json");
    expect(output?.contentType).toBe("application/json");
    const stored = JSON.parse(await outputText(harness.runtime, output?.storageKey ?? ""));
    expect(stored.json).toEqual({ vendor: "Northwind", mentionsTotal: true });
    const summary = job.outputs.find((o) => o.name === "report-summary");
    const parsed = JSON.parse(await outputText(harness.runtime, summary?.storageKey ?? ""));
    expect(parsed.aiUsed).toBe(true);
  });

  test("a corrupt PDF fails at once with a readable reason", async () => {
    const document = await harness.upload(
      "broken.pdf",
      "application/pdf",
      await fixture("corrupt.pdf"),
    );
    const queued = await harness.queue(document.id, [{ type: "ocr" }, parse, report]);
    worker.wake();
    const job = await harness.waitForStatus(queued.id, ["succeeded", "failed"]);

    expect(job.status).toBe("failed");
    expect(job.attempts).toBe(1);
    expect(job.error).toStartWith("Stage 1 of 3 (ocr): PDF is damaged");
    expect(job.outputs).toEqual([]);
  });

  test("a PDF without an OCR stage before parse fails at once, naming the fix", async () => {
    const document = await harness.upload(
      "doc.pdf",
      "application/pdf",
      await fixture("text-layer.pdf"),
    );
    const queued = await harness.queue(document.id, [parse, report]);
    worker.wake();
    const job = await harness.waitForStatus(queued.id, ["succeeded", "failed"]);

    expect(job.status).toBe("failed");
    expect(job.attempts).toBe(1);
    expect(job.error).toBe(
      "Stage 1 of 2 (parse): A document of type application/pdf needs an OCR stage before " +
        "stages that read its text",
    );
  });

  test("a stage snapshot that is no longer valid fails at once, naming the stage", async () => {
    const job = await run([parse, { type: "report", template: "" }]);

    expect(job.status).toBe("failed");
    expect(job.attempts).toBe(1);
    expect(job.error).toStartWith("Invalid stage 1: template:");
    expect(job.outputs).toEqual([]);
  });
});
