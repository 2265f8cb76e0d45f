/**
 * A worker can leave by itself when there is nothing to do (WORKER_IDLE_EXIT_SECONDS): for batch
 * runs and scale-to-zero. Busy time never counts toward the limit, and the stop is counted in
 * worker_shutdowns_total like a signalled one.
 */

import { beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { waitFor } from "@crpipeline/testing";
import { startWorker } from "../src/worker.ts";
import { spawnService } from "./drills/processes.test-utils.ts";
import { fakeAiForFile } from "./fake-ai.ts";
import {
  describeEachHarness,
  type Harness,
  TEXT_STAGES,
  uploadText,
  useAiEndpoint,
} from "./worker.test-utils.ts";

setDefaultTimeout(60_000);
const IDLE_MS = 400;

const fake = fakeAiForFile();

describeEachHarness(
  "idle exit",
  (current) => {
    let harness: Harness;
    beforeAll(() => {
      harness = current();
    });

    test("the limit runs from the last job's end, fires once; the stop is counted", async () => {
      // The AI answer is held for longer than the idle limit: a running job is not idleness.
      await useAiEndpoint(harness, fake.url, fake.apiKey);
      fake.hold();
      const document = await uploadText(harness);
      const job = await harness.queue(document.id, [TEXT_STAGES.parse, TEXT_STAGES.ai]);
      const timeouts: number[] = [];
      const worker = startWorker(harness.runtime, {
        concurrency: 1,
        leaseSeconds: 30,
        pollIntervalMs: 50,
        idleTimeoutMs: IDLE_MS,
        onIdleTimeout: () => timeouts.push(Date.now()),
      });
      try {
        await harness.waitForStatus(job.id, ["running"]);
        await Bun.sleep(IDLE_MS * 3);
        expect(timeouts).toEqual([]);
        fake.release();
        const done = await harness.waitForStatus(job.id, ["succeeded", "failed"]);
        expect(done.status).toBe("succeeded");

        await Bun.sleep(IDLE_MS * 4);
        expect(timeouts).toHaveLength(1);
        expect(timeouts[0] ?? 0).toBeGreaterThanOrEqual((done.finishedAt ?? 0) + IDLE_MS - 50);
      } finally {
        fake.release();
        const before = await harness.metric("worker_shutdowns_total");
        await worker.stop();
        expect(await harness.metric("worker_shutdowns_total")).toBe(before + 1);
      }
    });

    test("bun run worker with WORKER_IDLE_EXIT_SECONDS=1 exits 0 by itself", async () => {
      const started = performance.now();
      const worker = await spawnService("worker", {
        ...harness.env,
        WORKER_IDLE_EXIT_SECONDS: "1",
        LOG_LEVEL: "info",
      });
      try {
        const code = await Promise.race([worker.exited, Bun.sleep(30_000).then(() => "timeout")]);
        expect({ code, stderr: worker.stderr() }).toEqual({ code: 0, stderr: "" });
        expect((performance.now() - started) / 1000).toBeGreaterThanOrEqual(1);
        // The pipe may hand over the last lines a moment after the exit.
        await waitFor(() => worker.stdout().includes('"shutting down"'), {
          timeoutMs: 5_000,
          what: "the shutdown log line",
        });
        const lines = worker
          .stdout()
          .split("\n")
          .filter((line) => line.startsWith("{"));
        const messages = lines.map((line) => JSON.parse(line) as { msg: string; reason?: string });
        expect(messages.find((m) => m.msg === "shutting down")?.reason).toBe("idle");
        expect(messages.map((m) => m.msg)).toContain("worker idle past its limit");
      } finally {
        await worker.stop();
      }
    });
  },
  ["sqlite"],
);
