/**
 * Drill: S3 stops in the middle of a stream of uploads to a running API. Uploads must fail with
 * a clean 503, leave no row without an object (nor the reverse), be counted, and succeed again
 * once S3 is back, without restarting the API.
 */

import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { tempDir, waitFor } from "@crpipeline/testing";
import {
  ADMIN,
  type ApiClient,
  Cleanup,
  canRunPostgres,
  type ErrorBody,
  loginAsAdmin,
  privateS3,
  report,
  spawnApi,
  startPostgresCluster,
  waitForReadiness,
} from "./drills.test-utils.ts";
import { documentLedger, openDatabase, orgIdByName } from "./ledger.test-utils.ts";

setDefaultTimeout(120_000);
const available = await canRunPostgres();
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const STREAM_WORKERS = 3;
/** Uploads that start after S3 is down, all of which must fail cleanly. */
const DURING_OUTAGE = 12;
const AFTER_RECOVERY = 5;
// Big enough that an upload spends a moment streaming, so the stop can land inside one.
const PAYLOAD = "drill line of an uploaded text document\n".repeat(8_000);

interface Outcome {
  startedAt: number;
  endedAt: number;
  status: number;
  code?: string;
}

/** Uploads from `STREAM_WORKERS` callers at once until `enough` says stop. */
function uploadStream(api: ApiClient, enough: (all: Outcome[]) => boolean) {
  const outcomes: Outcome[] = [];
  let n = 0;
  const caller = async () => {
    // Bounded even if `enough` never holds: the drill must stop by itself.
    while (!enough(outcomes) && n < 500) {
      n += 1;
      const startedAt = performance.now();
      const reply = await api.upload(`stream-${n}.txt`, PAYLOAD);
      const code = reply.body.error?.code;
      outcomes.push({ startedAt, endedAt: performance.now(), status: reply.status, code });
    }
  };
  const done = Promise.all(Array.from({ length: STREAM_WORKERS }, caller));
  return { outcomes, done };
}

test.skipIf(!available)("uploads during an S3 outage fail cleanly and recover", async () => {
  const cluster = await startPostgresCluster();
  cleanup.add(() => cluster.destroy());
  const s3 = await privateS3();
  cleanup.add(() => s3.destroy());
  const dir = tempDir("crp-drill-s3-data-");
  cleanup.add(() => dir.cleanup());

  const env = { ...ADMIN, ...s3.env, DATA_DIR: dir.path, DATABASE_URL: cluster.url };
  const { service: apiProcess, url } = await spawnApi(env);
  cleanup.add(() => apiProcess.stop());
  const api = await loginAsAdmin(url);
  const putErrorsBefore = await apiProcess.metric("s3_errors_total", { operation: "put" });

  // The stream runs; once a few uploads have landed, S3 goes away under it.
  let stopBegan = Number.POSITIVE_INFINITY;
  let stopEnded = Number.POSITIVE_INFINITY;
  const stream = uploadStream(
    api,
    (all) => all.filter((o) => o.startedAt >= stopEnded).length >= DURING_OUTAGE,
  );
  await waitFor(() => stream.outcomes.filter((o) => o.status === 201).length >= 4, {
    timeoutMs: 30_000,
    intervalMs: 10,
    what: "the first uploads to land",
  });
  stopBegan = performance.now();
  await s3.stop();
  stopEnded = performance.now();
  const readiness = await waitForReadiness(url, 503);
  await stream.done;

  const before = stream.outcomes.filter((o) => o.endedAt <= stopBegan);
  const outage = stream.outcomes.filter((o) => o.startedAt >= stopEnded);
  const inFlight = stream.outcomes.filter((o) => !before.includes(o) && !outage.includes(o));
  const unavailable = outage.filter((o) => o.status === 503 && o.code === "storage_unavailable");
  const putErrors =
    (await apiProcess.metric("s3_errors_total", { operation: "put" })) - putErrorsBefore;
  const allErrors = await apiProcess.metric("s3_errors_total");
  // A sample of the error body as a client sees it.
  const sample = await api.upload("during-outage.txt", "still down");

  // S3 comes back on the same port and directory; the same API process uses it again.
  await s3.start();
  const recoveryStarted = performance.now();
  await waitForReadiness(url, 200, 30_000);
  const recoverySeconds = (performance.now() - recoveryStarted) / 1000;
  const after: number[] = [];
  for (let i = 0; i < AFTER_RECOVERY; i += 1) {
    after.push((await api.upload(`after-${i}.txt`, PAYLOAD)).status);
  }

  const db = await openDatabase(cluster.url);
  cleanup.add(() => db.close());
  const orgId = await orgIdByName(db, ADMIN.ADMIN_ORG);
  // An upload whose PUT landed just as S3 stopped leaves an object its 503 cleanup could not
  // delete; the API deletes it once S3 answers again (ObjectStore.discard). Wait for that.
  const firstLook = await documentLedger(db, s3.store, orgId);
  const cleanupStarted = performance.now();
  const ledger = await waitFor(
    async () => {
      const current = await documentLedger(db, s3.store, orgId);
      return current.objectsWithoutRow === 0 ? current : null;
    },
    { timeoutMs: 45_000, intervalMs: 250, what: "orphaned objects to be deleted" },
  ).catch(() => documentLedger(db, s3.store, orgId));
  const cleanupSeconds = (performance.now() - cleanupStarted) / 1000;
  const accepted = stream.outcomes.filter((o) => o.status === 201).length + after.length;
  const serverErrors = stream.outcomes.filter((o) => o.status >= 500 && o.status !== 503);
  const usage = await api.call<{ usage: { uploads: number } }>("GET", "/api/usage");

  report(
    "s3-outage",
    `${before.length} uploads before, ${inFlight.length} in flight at the stop ` +
      `(${inFlight.map((o) => o.status).join("/")}), ` +
      `${outage.length} during the outage → ${unavailable.length}×503 storage_unavailable, ` +
      `s3_errors_total{put} +${putErrors} (all operations ${allErrors}), /readyz 503 ` +
      `(storage: "${readiness.checks.storage}"); recovery: /readyz 200 after ` +
      `${recoverySeconds.toFixed(2)} s, ${after.filter((s) => s === 201).length}/` +
      `${AFTER_RECOVERY} uploads ok; ${ledger.rows} rows for ${accepted} accepted uploads, ` +
      `${ledger.rowsWithoutObject} rows without object, ${firstLook.objectsWithoutRow} orphan ` +
      `objects at recovery → ${ledger.objectsWithoutRow} after ${cleanupSeconds.toFixed(1)} s, ` +
      `usage.uploads ${JSON.stringify(usage.body.usage?.uploads)}`,
  );

  for (const key of ledger.orphanKeys) {
    const lines = apiProcess.stdout().split("\n");
    console.log(`orphan ${key}:\n${lines.filter((l) => l.includes(key)).join("\n")}`);
  }
  expect(outage.length).toBeGreaterThanOrEqual(DURING_OUTAGE);
  expect(unavailable.length).toBe(outage.length);
  expect(before.map((o) => o.status)).toEqual(Array(before.length).fill(201));
  for (const outcome of inFlight) expect([201, 503]).toContain(outcome.status);
  expect(serverErrors).toEqual([]);
  expect(sample.status).toBe(503);
  expect(sample.body as ErrorBody).toEqual({
    error: { code: "storage_unavailable", message: expect.any(String) },
  });
  expect(putErrors).toBeGreaterThanOrEqual(outage.length);
  expect(readiness.checks.storage).not.toBe("ok");
  expect(readiness.checks.database).toBe("ok");
  expect(after).toEqual(Array(AFTER_RECOVERY).fill(201));
  expect(ledger.rows).toBe(accepted);
  expect(ledger.rowsWithoutObject).toBe(0);
  expect(ledger.objectsWithoutRow).toBe(0);
  expect(apiProcess.exitCode()).toBeNull();
});
