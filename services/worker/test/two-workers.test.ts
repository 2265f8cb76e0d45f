import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { listJobEvents } from "@crpipeline/db";
import type { Runtime } from "@crpipeline/runtime";
import { startWorker, type Worker } from "../src/worker.ts";
import { describeEachHarness, TEXT_STAGES, uploadText } from "./worker.test-utils.ts";

setDefaultTimeout(60_000);
const JOBS = 20;

describeEachHarness(
  "two workers on one queue",
  (current) => {
    const workers: Worker[] = [];
    afterAll(async () => {
      for (const worker of workers) await worker.stop();
    });

    test("never run the same job", async () => {
      const harness = current();
      const document = await uploadText(harness);
      const ids: string[] = [];
      for (let i = 0; i < JOBS; i++) {
        ids.push((await harness.queue(document.id, [TEXT_STAGES.parse, TEXT_STAGES.report])).id);
      }

      // Two runtimes: separate connection pools, as two processes would have.
      const runtimes: Runtime[] = [harness.runtime, await harness.openRuntime()];
      for (const runtime of runtimes) {
        workers.push(
          startWorker(runtime, { concurrency: 2, leaseSeconds: 30, pollIntervalMs: 20 }),
        );
      }
      for (const worker of workers) worker.wake();
      for (const id of ids) await harness.waitForStatus(id, ["succeeded", "failed"]);

      const sum = async (name: string, labels: Record<string, string>) => {
        let total = 0;
        for (const runtime of runtimes) total += await harness.metric(name, labels, runtime);
        return total;
      };
      expect(await sum("jobs_total", { status: "succeeded" })).toBe(JOBS);
      expect(await sum("stage_duration_seconds_count", { stage: "parse" })).toBe(JOBS);
      expect(await sum("stage_duration_seconds_count", { stage: "report" })).toBe(JOBS);
      expect(await sum("job_retries_total", {})).toBe(0);

      for (const id of ids) {
        const job = await harness.job(id);
        expect(job.status).toBe("succeeded");
        expect(job.attempts).toBe(1);
        expect(job.outputs.map((o) => o.name)).toEqual(["parse", "report-pdf", "report-summary"]);
        const events = await listJobEvents(harness.runtime.db, harness.orgId, {
          afterId: 0,
          jobId: id,
        });
        const claims = events.filter(
          (e) => e.type === "job.status" && e.payload.status === "running",
        );
        expect(claims).toHaveLength(1);
      }
    });
  },
  ["postgres", "sqlite"],
);
