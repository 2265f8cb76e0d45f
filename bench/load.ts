/**
 * Load test: an API and N workers as child processes on a fresh Postgres database and one S3
 * server, driven on loopback by a fixed number of virtual users (20 % uploads that start a
 * parse → report job, 40 % lists, 20 % job reads, 20 % downloads) for several rounds in a row.
 * Reports throughput, latency, errors, job throughput, queue depth and the API's RSS per round.
 *
 *   bun bench/load.ts [seconds per round] [rounds]
 */

import { loadavg } from "node:os";
import { createTestDatabase, type TestDatabase } from "../packages/db/src/db.test-utils.ts";
import { type Cluster, rssBytes, startCluster } from "./load/cluster.ts";
import { formatRound, mib, type RoundReport, summarise } from "./load/report.ts";
import { seed } from "./load/seed.ts";
import { runRound, type Traffic } from "./load/traffic.ts";

export interface LoadOptions {
  /** Length of each round. */
  seconds: number;
  /** Virtual users, each with one request in flight at a time. */
  concurrency: number;
  /** Worker processes. */
  workers: number;
  /** Jobs each worker runs at once (WORKER_CONCURRENCY, default 2). */
  workerConcurrency?: number;
  /** Rounds run back to back on the same processes, to see whether memory levels off. */
  rounds?: number;
  /** API keys the users share; each is kept under its rate limit (8 requests a second). */
  apiKeys?: number;
  /** How long to wait after the last round for the queue to empty. */
  drainSeconds?: number;
  /** Printed as each round ends. */
  onRound?: (report: RoundReport) => void;
}

export interface LoadReport {
  options: { seconds: number; concurrency: number; workers: number; rounds: number };
  rounds: RoundReport[];
  apiRssMiB: { start: number; perRound: number[] };
  workerRssMiB: number[];
  /** The machine's 1-minute load average at the end: the box is shared, numbers are not. */
  loadAverage: number;
  /** Client waits for a key under its rate limit: non-zero means the pool capped throughput. */
  keyPoolWaits: number;
  /** Every job the uploads created, by status once the queue drained (or the wait ran out). */
  jobs: { created: number; byStatus: Record<string, number>; drainSeconds: number };
}

async function jobCounts(database: TestDatabase, ids?: string[]) {
  const rows = ids
    ? await database.db.sql<{ status: string; n: number | string }>`
        SELECT status, COUNT(*) AS n FROM jobs WHERE id IN ${database.db.sql(ids)} GROUP BY status`
    : await database.db.sql<{ status: string; n: number | string }>`
        SELECT status, COUNT(*) AS n FROM jobs GROUP BY status`;
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
}

async function succeededBetween(database: TestDatabase, from: number, to: number) {
  const [row] = await database.db.sql<{ n: number | string }>`
    SELECT COUNT(*) AS n FROM jobs
    WHERE status = 'succeeded' AND finished_at >= ${from} AND finished_at < ${to}`;
  return Number(row?.n ?? 0);
}

/** Waits until nothing is queued or running; returns the seconds it took (or the limit). */
async function drain(database: TestDatabase, limitSeconds: number): Promise<number> {
  const started = performance.now();
  while ((performance.now() - started) / 1000 < limitSeconds) {
    const counts = await jobCounts(database);
    if (!counts.queued && !counts.running) break;
    await Bun.sleep(250);
  }
  return Math.round((performance.now() - started) / 100) / 10;
}

/** Status counts of many ids, in chunks so no single query carries thousands of parameters. */
async function statusOf(database: TestDatabase, ids: string[]) {
  const total: Record<string, number> = {};
  for (let i = 0; i < ids.length; i += 1000) {
    for (const [status, n] of Object.entries(await jobCounts(database, ids.slice(i, i + 1000)))) {
      total[status] = (total[status] ?? 0) + n;
    }
  }
  return total;
}

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const rounds = options.rounds ?? 3;
  const database = await createTestDatabase("postgres");
  let cluster: Cluster | undefined;
  try {
    cluster = await startCluster({
      databaseUrl: database.url,
      workers: options.workers,
      workerConcurrency: options.workerConcurrency,
    });
    const { pipelineId, keys } = await seed(cluster.apiUrl, options.apiKeys ?? 200);
    const traffic: Traffic = { documentIds: [], jobIds: [], uploadedJobIds: [] };
    const apiRssStart = rssBytes(cluster.apiPid);

    const reports: RoundReport[] = [];
    for (let round = 1; round <= rounds; round++) {
      const from = Date.now();
      const samples = await runRound({
        url: cluster.apiUrl,
        pipelineId,
        keys,
        traffic,
        concurrency: options.concurrency,
        seconds: options.seconds,
        // Far above what loopback reaches; only there so a round can never run away.
        maxRequests: options.seconds * 20_000,
      });
      const to = Date.now();
      const apiRss = rssBytes(cluster.apiPid);
      const counts = await jobCounts(database);
      const report = summarise(round, samples, {
        jobsCompletedPerSecond:
          Math.round(((await succeededBetween(database, from, to)) / samples.seconds) * 10) / 10,
        queueDepthAtEnd: { queued: counts.queued ?? 0, running: counts.running ?? 0 },
        apiRssMiB: mib(apiRss),
      });
      reports.push(report);
      options.onRound?.(report);
    }

    const drainSeconds = await drain(database, options.drainSeconds ?? 60);
    return {
      options: {
        seconds: options.seconds,
        concurrency: options.concurrency,
        workers: options.workers,
        rounds,
      },
      rounds: reports,
      apiRssMiB: { start: mib(apiRssStart), perRound: reports.map((r) => r.apiRssMiB) },
      workerRssMiB: cluster.workerPids.map((pid) => mib(rssBytes(pid))),
      loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
      keyPoolWaits: keys.waits,
      jobs: {
        created: traffic.uploadedJobIds.length,
        byStatus: await statusOf(database, traffic.uploadedJobIds),
        drainSeconds,
      },
    };
  } finally {
    await cluster?.stop();
    await database.cleanup();
  }
}

if (import.meta.main) {
  const seconds = Number(process.argv[2] ?? 60);
  const rounds = Number(process.argv[3] ?? 5);
  const workerConcurrency = Number(process.env.WORKER_CONCURRENCY ?? 2);
  const report = await runLoad({
    seconds,
    rounds,
    concurrency: 16,
    workers: 2,
    workerConcurrency,
    onRound: (round) => console.log(formatRound(round)),
  });
  console.log(JSON.stringify(report, null, 2));
}
