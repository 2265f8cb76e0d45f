/**
 * Drill: the worker holding a job's lease is SIGKILLed mid-stage. The job must finish on the
 * other worker once the lease runs out, with every output listed once and stored once.
 */

import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { getJob } from "@crpipeline/db";
import { tempDir, waitFor } from "@crpipeline/testing";
import {
  ADMIN,
  Cleanup,
  canRunPostgres,
  createPipeline,
  fixture,
  heldAi,
  loginAsAdmin,
  privateS3,
  report,
  spawnApi,
  spawnWorker,
  startPostgresCluster,
} from "./drills.test-utils.ts";
import { jobLedger, openDatabase, orgIdByName } from "./ledger.test-utils.ts";

setDefaultTimeout(120_000);
const available = await canRunPostgres();
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const LEASE_SECONDS = 2;
/** What the AI prompt of this drill's one job contains, to count that job's AI stage runs. */
const PROMPT_MARK = "Summarise invoice.txt:";

test.skipIf(!available)("a job whose worker is killed finishes once on the other", async () => {
  const cluster = await startPostgresCluster();
  cleanup.add(() => cluster.destroy());
  const s3 = await privateS3();
  cleanup.add(() => s3.destroy());
  const ai = heldAi();
  cleanup.add(() => ai.stop());
  const dir = tempDir("crp-drill-kill-");
  cleanup.add(() => dir.cleanup());

  const env = {
    ...ADMIN,
    ...s3.env,
    DATA_DIR: dir.path,
    DATABASE_URL: cluster.url,
    JOB_LEASE_SECONDS: String(LEASE_SECONDS),
    WORKER_CONCURRENCY: "1",
    AI_API_URL: ai.url,
    AI_API_KEY: ai.apiKey,
  };
  const { service: apiProcess, url } = await spawnApi(env);
  cleanup.add(() => apiProcess.stop());
  const api = await loginAsAdmin(url);
  const pipelineId = await createPipeline(api, [
    { type: "parse", keywords: ["Invoice", "Total"] },
    { type: "ai", prompt: "Summarise {{document.name}}: {{text}}", maxRetries: 0 },
    { type: "report", title: "Drill" },
  ]);
  const db = await openDatabase(cluster.url);
  cleanup.add(() => db.close());
  const orgId = await orgIdByName(db, ADMIN.ADMIN_ORG);

  // The first worker alone takes the job and is caught waiting in the AI stage.
  ai.hold();
  const doomed = await spawnWorker(env, "worker-a");
  cleanup.add(() => doomed.service.stop());
  const uploaded = await api.upload("invoice.txt", await fixture("text.txt"), pipelineId);
  expect(uploaded.status).toBe(201);
  const jobId = uploaded.body.job?.id ?? "";
  const caught = await waitFor(
    async () => {
      const job = await getJob(db, orgId, jobId);
      return job?.status === "running" && job.currentStage === 1 && ai.received() === 1
        ? job
        : null;
    },
    { timeoutMs: 30_000, what: "worker-a to be in the AI stage" },
  );
  expect(caught.leaseOwner).toBe(doomed.workerId);

  // A second worker is polling; the lease holder dies without a word.
  const survivor = await spawnWorker(env, "worker-b");
  cleanup.add(() => survivor.service.stop());
  doomed.service.kill("SIGKILL");
  const killedAt = performance.now();
  expect(await doomed.service.exited).not.toBe(0);
  ai.release();

  const finished = await waitFor(
    async () => {
      const job = await getJob(db, orgId, jobId);
      return job && ["succeeded", "failed", "canceled"].includes(job.status) ? job : null;
    },
    { timeoutMs: 40_000, intervalMs: 50, what: "the job to finish on worker-b" },
  );
  const takeoverSeconds = (performance.now() - killedAt) / 1000;
  const ledger = await jobLedger(db, s3.store, orgId, jobId);
  const leaseRetries = await survivor.service.metric("job_retries_total", {
    reason: "lease_expired",
  });
  const succeeded = await survivor.service.metric("jobs_total", { status: "succeeded" });
  const stageErrors = await survivor.service.metric("job_retries_total", {
    reason: "stage_error",
  });

  report(
    "worker-kill",
    `job caught in stage 1 (ai) on worker-a, SIGKILL → ${finished.status} on worker-b ` +
      `${takeoverSeconds.toFixed(2)} s later (lease ${LEASE_SECONDS} s), attempts ` +
      `${ledger.attempts}, outputs [${ledger.outputs.join(", ")}], ` +
      `${ledger.objects} objects for ${ledger.outputs.length} rows, ${ledger.sharedObjects} ` +
      `shared, ${ledger.missingObjects} missing, ${ledger.orphanObjects} orphan objects; ` +
      `worker-b job_retries_total{lease_expired} +${leaseRetries}, jobs_total{succeeded} ` +
      `+${succeeded}; AI stage runs for the job ${ai.receivedFor(PROMPT_MARK)} ` +
      `(AI calls ${ai.received()})`,
  );

  expect(finished.error).toBeNull();
  expect(finished.status).toBe("succeeded");
  expect(ledger.attempts).toBe(2);
  expect(ledger.outputs).toEqual(["0/parse", "1/ai", "2/report-pdf", "2/report-summary"]);
  expect(ledger.objects).toBe(ledger.outputs.length);
  expect(ledger.sharedObjects).toBe(0);
  expect(ledger.missingObjects).toBe(0);
  expect(ledger.orphanObjects).toBe(0);
  expect(leaseRetries).toBe(1);
  expect(stageErrors).toBe(0);
  expect(succeeded).toBe(1);
  // The killed worker's call plus the survivor's: the stage ran again, not more.
  expect(ai.receivedFor(PROMPT_MARK)).toBe(2);
  expect(ai.received()).toBe(2);
  expect(survivor.service.exitCode()).toBeNull();
});
