/**
 * Drill: Postgres restarts (`pg_ctl restart -m fast`) while an API and a worker process run
 * jobs on it. Every job must succeed exactly once, the worker must not exit, the API recovers.
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
  loginAsAdmin,
  privateS3,
  report,
  spawnApi,
  spawnWorker,
  startPostgresCluster,
  waitForReadiness,
} from "./drills.test-utils.ts";
import { jobLedger, openDatabase, orgIdByName } from "./ledger.test-utils.ts";

setDefaultTimeout(150_000);
const available = await canRunPostgres();
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const BEFORE = 16;
const AFTER = 6;
const LEASE_SECONDS = 3;

async function queueJobs(api: ApiClient, pipelineId: string, count: number): Promise<string[]> {
  const text = await fixture("text.txt");
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const reply = await api.upload(`invoice-${i}.txt`, text, pipelineId);
    if (reply.status !== 201 || !reply.body.job) {
      throw new Error(`upload ${i}: ${reply.status} ${JSON.stringify(reply.body)}`);
    }
    ids.push(reply.body.job.id);
  }
  return ids;
}

/** Job counts by status, on a connection of its own (the services' pools are under test). */
async function statusCounts(db: Database): Promise<Record<JobStatus, number>> {
  const rows = await db.sql<{ status: string; n: number | string }>`
    SELECT status, count(*) AS n FROM jobs GROUP BY status`;
  const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
  for (const row of rows) counts[row.status as JobStatus] = Number(row.n);
  return counts;
}

test.skipIf(!available)("jobs survive a Postgres restart under a running worker", async () => {
  const cluster = await startPostgresCluster();
  cleanup.add(() => cluster.destroy());
  const s3 = await privateS3();
  cleanup.add(() => s3.destroy());
  const dir = tempDir("crp-drill-pg-data-");
  cleanup.add(() => dir.cleanup());

  const env = {
    ...ADMIN,
    ...s3.env,
    DATA_DIR: dir.path,
    DATABASE_URL: cluster.url,
    JOB_LEASE_SECONDS: String(LEASE_SECONDS),
    WORKER_CONCURRENCY: "2",
  };
  const { service: apiProcess, url } = await spawnApi(env);
  cleanup.add(() => apiProcess.stop());
  const { service: worker } = await spawnWorker(env);
  cleanup.add(() => worker.stop());

  const api = await loginAsAdmin(url);
  const pipelineId = await createPipeline(api, [
    { type: "parse", keywords: ["Invoice", "Total"] },
    { type: "report", title: "Drill" },
  ]);
  const db = await openDatabase(cluster.url);
  cleanup.add(() => db.close());
  const orgId = await orgIdByName(db, ADMIN.ADMIN_ORG);

  // Queue a batch, and restart the server once the worker is busy with it.
  const first = await queueJobs(api, pipelineId, BEFORE);
  await waitFor(async () => (await statusCounts(db)).succeeded >= 2, {
    timeoutMs: 60_000,
    intervalMs: 20,
    what: "the first jobs to finish",
  });
  const atRestart = await statusCounts(db);
  const restartStarted = performance.now();
  await cluster.restart();
  const restartSeconds = (performance.now() - restartStarted) / 1000;

  // The API recovers by itself, and takes more work.
  const readyStarted = performance.now();
  await waitForReadiness(url, 200, 30_000);
  const readySeconds = (performance.now() - readyStarted) / 1000;
  const second = await queueJobs(api, pipelineId, AFTER);
  const all = [...first, ...second];

  // Stuck jobs would wait for their lease to run out; allow that, a few times over.
  const settled = await waitFor(
    async () => {
      const counts = await statusCounts(db);
      return counts.succeeded + counts.failed + counts.canceled === all.length ? counts : null;
    },
    { timeoutMs: 90_000, intervalMs: 100, what: "every job to reach a final state" },
  );

  const ledgers = await Promise.all(all.map((id) => jobLedger(db, s3.store, orgId, id)));
  const lost = ledgers.filter((l) => l.status !== "succeeded").length;
  const retried = ledgers.filter((l) => l.attempts > 1).length;
  const duplicateOutputs = ledgers.reduce((n, l) => n + l.duplicateOutputs, 0);
  const missingObjects = ledgers.reduce((n, l) => n + l.missingObjects, 0);
  const orphanObjects = ledgers.reduce((n, l) => n + l.orphanObjects, 0);
  const succeededCounted = await worker.metric("jobs_total", { status: "succeeded" });
  const leaseRetries = await worker.metric("job_retries_total", { reason: "lease_expired" });

  report(
    "postgres-restart",
    `${BEFORE} jobs queued, restart (${restartSeconds.toFixed(2)} s) at ` +
      `${atRestart.succeeded} succeeded/${atRestart.running} running/${atRestart.queued} queued, ` +
      `API ready ${readySeconds.toFixed(2)} s later, ${AFTER} more queued → ` +
      `${settled.succeeded}/${all.length} succeeded, ${lost} lost, ${retried} re-run ` +
      `(lease_expired +${leaseRetries}), jobs_total{succeeded}=${succeededCounted}, ` +
      `${duplicateOutputs} duplicate outputs, ${missingObjects} missing objects, ` +
      `${orphanObjects} orphan objects; worker exit code ${worker.exitCode()}`,
  );

  expect(settled).toMatchObject({ succeeded: all.length, failed: 0, canceled: 0 });
  expect(lost).toBe(0);
  expect(duplicateOutputs).toBe(0);
  expect(missingObjects).toBe(0);
  expect(orphanObjects).toBe(0);
  for (const ledger of ledgers) {
    expect(ledger.outputs.sort()).toEqual(["0/parse", "1/report-pdf", "1/report-summary"]);
  }
  // Counted once per job, whichever attempt finished it.
  expect(succeededCounted).toBe(all.length);
  expect(worker.exitCode()).toBeNull();
  expect(apiProcess.exitCode()).toBeNull();
  await waitForReadiness(url, 200);
});
