/**
 * On Postgres a job queued through another connection (another API or worker process) wakes an
 * idle worker at once through NOTIFY; with LISTEN turned off the worker only finds it by polling.
 */

import { afterEach, expect, test } from "bun:test";
import type { Runtime } from "@crpipeline/runtime";
import { waitFor } from "@crpipeline/testing";
import { startWorker, type Worker } from "../src/worker.ts";
import { describeEachHarness, TEXT_STAGES, uploadText } from "./worker.test-utils.ts";

/** Long enough that a poll cannot be what finds the job within the test's wait. */
const POLL_MS = 60_000;

describeEachHarness(
  "wake-up across processes",
  (current) => {
    let worker: Worker | undefined;
    afterEach(async () => {
      await worker?.stop();
      worker = undefined;
    });

    /** A worker on its own runtime, idle after its first look at the empty queue. */
    async function idleWorker(listen: boolean): Promise<{ worker: Worker; runtime: Runtime }> {
      const runtime = await current().openRuntime();
      worker = startWorker(runtime, {
        concurrency: 1,
        leaseSeconds: 30,
        pollIntervalMs: POLL_MS,
        maxPollIntervalMs: POLL_MS,
        listen,
      });
      await worker.idle();
      return { worker, runtime };
    }

    test("a job queued on another connection is claimed without waiting for a poll", async () => {
      const harness = current();
      await idleWorker(true);
      const document = await uploadText(harness);
      const job = await harness.queue(document.id, [TEXT_STAGES.parse]);
      await harness.waitForStatus(job.id, ["succeeded"], 10_000);
      const done = await harness.job(job.id);
      expect(done.startedAt).not.toBeNull();
      expect((done.startedAt ?? 0) - done.createdAt).toBeLessThan(POLL_MS);
    }, 30_000);

    test("with listening off, the same job waits for the next poll", async () => {
      const harness = current();
      await idleWorker(false);
      const document = await uploadText(harness);
      const job = await harness.queue(document.id, [TEXT_STAGES.parse]);
      // Give a signal every chance to arrive; nothing may pick the job up.
      await Bun.sleep(1_500);
      expect((await harness.job(job.id)).status).toBe("queued");
      worker?.wake();
      await waitFor(async () => (await harness.job(job.id)).status === "succeeded", {
        timeoutMs: 10_000,
        what: "the job once the worker is woken in its own process",
      });
    }, 30_000);
  },
  ["postgres"],
);
