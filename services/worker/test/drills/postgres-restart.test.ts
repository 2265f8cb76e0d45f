/**
 * Drill: Postgres restarts (`pg_ctl restart -m fast`) while an API and two worker processes run
 * jobs on it, some mid-stage and more queued. Every job must succeed exactly once, no worker may
 * exit, the API recovers.
 */

import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { type Database, JOB_STATUSES, type JobStatus } from "@crpipeline/db";
import { tempDir, waitFor } from "@crpipeline/testing";
import {
  ADMIN,
  type ApiClient,
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
  waitForReadiness,
} from "./drills.test-utils.ts";
import { jobLedger, openDatabase, orgIdByName } from "./ledger.test-utils.ts";
import type { ServiceProcess } from "./processes.test-utils.ts";

setDefaultTimeout(150_000);
const available = await canRunPostgres();
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const BEFORE = 16;
const AFTER = 6;
const LEASE_SECONDS = 3;
const WORKERS = 2;
const WORKER_CONCURRENCY = 2;
/** The slots the workers have: that many jobs run (held in the AI stage), the rest wait. */
const SLOTS = WORKERS * WORKER_CONCURRENCY;

/** The AI prompt names the document, so the stand-in can count each job's AI stage runs. */
const promptMark = (name: string) => `Summarise ${name}:`;

/** Uploads `count` documents named `<batch>-<i>.txt`; their job ids by document name. */
async function queueJobs(
  api: ApiClient,
  pipelineId: string,
  batch: string,
  count: number,
): Promise<Map<string, string>> {
  const text = await fixture("text.txt");
  const jobs = new Map<string, string>();
  for (let i = 0; i < count; i += 1) {
    const name = `${batch}-${i}.txt`;
    const reply = await api.upload(name, text, pipelineId);
    if (reply.status !== 201 || !reply.body.job) {
      throw new Error(`upload ${name}: ${reply.status} ${JSON.stringify(reply.body)}`);
    }
    jobs.set(name, reply.body.job.id);
  }
  return jobs;
}

/** Job counts by status, on a connection of its own (the services' pools are under test). */
async function statusCounts(db: Database): Promise<Record<JobStatus, number>> {
  const rows = await db.sql<{ status: string; n: number | string }>`
    SELECT status, count(*) AS n FROM jobs GROUP BY status`;
  const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
  for (const row of rows) counts[row.status as JobStatus] = Number(row.n);
  return counts;
}

/** How many workers hold a running job now. */
async function busyWorkers(db: Database): Promise<number> {
  const [row] = await db.sql<{ n: number | string }>`
    SELECT count(DISTINCT lease_owner) AS n FROM jobs WHERE status = 'running'`;
  return Number(row?.n ?? 0);
}

test.skipIf(!available)("jobs survive a Postgres restart under running workers", async () => {
  const cluster = await startPostgresCluster();
  cleanup.add(() => cluster.destroy());
  const s3 = await privateS3();
  cleanup.add(() => s3.destroy());
  const ai = heldAi();
  cleanup.add(() => ai.stop());
  const dir = tempDir("crp-drill-pg-data-");
  cleanup.add(() => dir.cleanup());

  const env = {
    ...ADMIN,
    ...s3.env,
    DATA_DIR: dir.path,
    DATABASE_URL: cluster.url,
    JOB_LEASE_SECONDS: String(LEASE_SECONDS),
    WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
    AI_API_URL: ai.url,
    AI_API_KEY: ai.apiKey,
  };
  const { service: apiProcess, url } = await spawnApi(env);
  cleanup.add(() => apiProcess.stop());
  const workers: ServiceProcess[] = [];
  for (let i = 1; i <= WORKERS; i += 1) {
    const { service } = await spawnWorker(env, `worker-${i}`);
    cleanup.add(() => service.stop());
    workers.push(service);
  }

  const api = await loginAsAdmin(url);
  const pipelineId = await createPipeline(api, [
    { type: "parse", keywords: ["Invoice", "Total"] },
    { type: "ai", prompt: `${promptMark("{{document.name}}")} {{text}}`, maxRetries: 0 },
    { type: "report", title: "Drill" },
  ]);
  const db = await openDatabase(cluster.url);
  cleanup.add(() => db.close());
  const orgId = await orgIdByName(db, ADMIN.ADMIN_ORG);

  // Every slot of both workers is caught in the AI stage, the rest of the batch waits for one:
  // the restart then hits running and queued jobs alike.
  ai.hold();
  const first = await queueJobs(api, pipelineId, "before", BEFORE);
  await waitFor(
    async () =>
      ai.received() === SLOTS && (await busyWorkers(db)) === WORKERS
        ? (await statusCounts(db)).running === SLOTS
        : false,
    { timeoutMs: 60_000, intervalMs: 20, what: `${SLOTS} jobs held in the AI stage` },
  );
  const atRestart = await statusCounts(db);
  const restartStarted = performance.now();
  const restarting = cluster.restart();
  // The held calls answer while the server is down: the stages end into a missing database.
  await Bun.sleep(100);
  ai.release();
  await restarting;
  const restartSeconds = (performance.now() - restartStarted) / 1000;

  // The API recovers by itself, and takes more work.
  const readyStarted = performance.now();
  await waitForReadiness(url, 200, 30_000);
  const readySeconds = (performance.now() - readyStarted) / 1000;
  const second = await queueJobs(api, pipelineId, "after", AFTER);
  const all = new Map([...first, ...second]);

  // Stuck jobs would wait for their lease to run out; allow that, a few times over.
  const settled = await waitFor(
    async () => {
      const counts = await statusCounts(db);
      return counts.succeeded + counts.failed + counts.canceled === all.size ? counts : null;
    },
    { timeoutMs: 90_000, intervalMs: 100, what: "every job to reach a final state" },
  );

  const ledgers = await Promise.all(
    [...all.values()].map((id) => jobLedger(db, s3.store, orgId, id)),
  );
  const lost = ledgers.filter((l) => l.status !== "succeeded").length;
  const retried = ledgers.filter((l) => l.attempts > 1).length;
  const sum = (count: (l: (typeof ledgers)[number]) => number) =>
    ledgers.reduce((n, l) => n + count(l), 0);
  const unpaired = sum((l) => Math.abs(l.objects - l.outputs.length) + l.sharedObjects);
  const missingObjects = sum((l) => l.missingObjects);
  const orphanObjects = sum((l) => l.orphanObjects);
  // Each job's AI stage runs, against its attempts: more runs than claims is a duplicate run.
  const attempts = new Map(ledgers.map((l) => [l.id, l.attempts]));
  const aiRuns = [...all].map(([name, id]) => ({
    runs: ai.receivedFor(promptMark(name)),
    attempts: attempts.get(id) ?? 0,
  }));
  const totalAiRuns = aiRuns.reduce((n, r) => n + r.runs, 0);
  const duplicateRuns = aiRuns.reduce((n, r) => n + Math.max(0, r.runs - r.attempts), 0);
  const neverRun = aiRuns.filter((r) => r.runs === 0).length;
  const metricSum = async (name: string, labels: Record<string, string>) =>
    (await Promise.all(workers.map((w) => w.metric(name, labels)))).reduce((a, b) => a + b, 0);
  const succeededCounted = await metricSum("jobs_total", { status: "succeeded" });
  const leaseRetries = await metricSum("job_retries_total", { reason: "lease_expired" });
  const stageRetries = await metricSum("job_retries_total", { reason: "stage_error" });
  const perWorker = await Promise.all(
    workers.map((w) => w.metric("jobs_total", { status: "succeeded" })),
  );

  report(
    "postgres-restart",
    `${BEFORE} jobs queued on ${WORKERS} workers, restart (${restartSeconds.toFixed(2)} s) at ` +
      `${atRestart.succeeded} succeeded/${atRestart.running} running/${atRestart.queued} queued, ` +
      `API ready ${readySeconds.toFixed(2)} s later, ${AFTER} more queued → ` +
      `${settled.succeeded}/${all.size} succeeded, ${lost} lost, ${retried} re-run ` +
      `(lease_expired +${leaseRetries}, stage_error +${stageRetries}), ` +
      `jobs_total{succeeded}=${succeededCounted} ` +
      `[${perWorker.join("+")}], AI stage runs ${totalAiRuns} (${duplicateRuns} beyond one per ` +
      `attempt, ${neverRun} jobs never), ${unpaired} unpaired outputs/objects, ` +
      `${missingObjects} missing objects, ${orphanObjects} orphan objects; worker exit codes ` +
      `${workers.map((w) => w.exitCode()).join(",")}`,
  );

  expect(atRestart.running).toBe(SLOTS);
  expect(atRestart.queued).toBe(BEFORE - SLOTS);
  expect(settled).toMatchObject({ succeeded: all.size, failed: 0, canceled: 0 });
  expect(lost).toBe(0);
  expect(unpaired).toBe(0);
  expect(missingObjects).toBe(0);
  expect(orphanObjects).toBe(0);
  for (const ledger of ledgers) {
    expect(ledger.outputs.sort()).toEqual(["0/parse", "1/ai", "2/report-pdf", "2/report-summary"]);
  }
  expect(duplicateRuns).toBe(0);
  expect(neverRun).toBe(0);
  // Counted once per job, whichever attempt (and worker) finished it.
  expect(succeededCounted).toBe(all.size);
  for (const worker of workers) expect(worker.exitCode()).toBeNull();
  expect(apiProcess.exitCode()).toBeNull();
  await waitForReadiness(url, 200);
});
