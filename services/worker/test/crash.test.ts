import { expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { waitFor } from "@crpipeline/testing";
import { startWorker } from "../src/worker.ts";
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
const LEASE_SECONDS = 2;

const fake = fakeAiForFile();

/** Starts `child-worker.ts` on the harness's database and S3; resolves once it is polling. */
async function spawnWorker(harness: Harness) {
  const child = Bun.spawn(["bun", join(import.meta.dir, "child-worker.ts")], {
    env: { ...process.env, ...harness.env, JOB_LEASE_SECONDS: String(LEASE_SECONDS) },
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  const line = new TextDecoder().decode(value);
  if (!line.startsWith("ready ")) throw new Error(`child worker did not start: ${line}`);
  reader.releaseLock();
  return { child, workerId: line.slice("ready ".length).trim() };
}

describeEachHarness(
  "a worker killed mid-job",
  (current) => {
    test("another worker takes the job over after the lease expires and completes it once", async () => {
      const harness = current();
      await useAiEndpoint(harness, fake.url, fake.apiKey);
      const document = await uploadText(harness);
      const queued = await harness.queue(document.id, [parse, ai, report]);

      // The child finishes parse, then hangs in the AI stage until it is killed.
      fake.hold();
      const { child, workerId } = await spawnWorker(harness);
      const running = await waitFor(
        async () => {
          const job = await harness.job(queued.id);
          return job.status === "running" && job.currentStage === 1 && fake.received() === 1
            ? job
            : null;
        },
        { what: "the child to be in the AI stage" },
      );
      expect(running.leaseOwner).toBe(workerId);
      expect(running.outputs.map((o) => o.name)).toEqual(["parse"]);
      child.kill("SIGKILL");
      expect(await child.exited).not.toBe(0);
      fake.release();

      const worker = startWorker(harness.runtime, {
        concurrency: 1,
        leaseSeconds: LEASE_SECONDS,
        pollIntervalMs: 100,
        maxPollIntervalMs: 200,
      });
      const job = await harness.waitForStatus(queued.id, ["succeeded", "failed"], 20_000);
      await worker.stop();

      expect(job.error).toBeNull();
      expect(job.status).toBe("succeeded");
      expect(job.attempts).toBe(2);
      expect(await harness.metric("job_retries_total", { reason: "lease_expired" })).toBe(1);
      expect(await harness.metric("jobs_total", { status: "succeeded" })).toBe(1);

      // One row per (index, name), and exactly those objects under the job's prefix.
      const rows = job.outputs.map((o) => `${o.index}/${o.name}`);
      expect(rows).toEqual(["0/parse", "1/ai", "2/report-pdf", "2/report-summary"]);
      const listed = await harness.runtime.store.list(`orgs/${harness.orgId}/jobs/${job.id}/`);
      expect(listed.map((o) => [o.key, o.size]).sort()).toEqual(
        job.outputs.map((o) => [o.storageKey, o.size]).sort(),
      );
    });
  },
  ["postgres"],
);
