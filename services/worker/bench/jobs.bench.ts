/**
 * Benchmark: queue throughput for tiny text jobs (parse → report) on SQLite and Postgres with
 * worker concurrency 1, 2 and 4, and the time from job creation to running when the creator
 * wakes the worker (as the API does in the all-in-one process).
 */

import { join } from "node:path";
import { loadConfig } from "@crpipeline/config";
import {
  createDatabase,
  createDocument,
  createJob,
  createOrganisation,
  type Database,
  type Engine,
  getJob,
  newDocumentId,
} from "@crpipeline/db";
import { silentLogger } from "@crpipeline/log";
import { openRuntime, type Runtime } from "@crpipeline/runtime";
import { startEmbeddedS3 } from "@crpipeline/storage";
import { POSTGRES_URL, tempDir } from "@crpipeline/testing";
import { SQL } from "bun";
import { startWorker } from "../src/worker.ts";

export interface ThroughputRow {
  engine: Engine;
  concurrency: number;
  jobs: number;
  seconds: number;
  jobsPerSecond: number;
}

export interface LatencyRow {
  engine: Engine;
  samples: number;
  /** Job created → claimed (`started_at - created_at`), with `wake()` called after creating. */
  createToRunningMs: { p50: number; p95: number; max: number };
}

export interface CrossProcessRow {
  /** `notify`: the worker LISTENs; `poll`: it finds jobs by its idle back-off (1 s up to 5 s). */
  wakeUp: "notify" | "poll";
  samples: number;
  /** Job created on another connection pool → claimed, with the worker's default polling. */
  createToRunningMs: { p50: number; p95: number; max: number };
}

export interface QueueBench {
  throughput: ThroughputRow[];
  latency: LatencyRow[];
  /** Postgres only: a job queued by another process (its own pool), no in-process wake-up. */
  crossProcess: CrossProcessRow[];
  /** Engines that could not run (Postgres not reachable), with the reason. */
  skipped: string[];
}

const STAGES = [
  { type: "parse", keywords: ["Invoice", "Total"] },
  { type: "report", title: "Bench" },
];
const TEXT = "Invoice 2024-0042\nTotal: 1,234.56 EUR\nThank you for your order.\n";

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

function summary(waits: number[]) {
  const sorted = [...waits].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), max: sorted.at(-1) ?? 0 };
}

/**
 * Jobs queued through a second pool on the same Postgres (as the API process would), one at a
 * time, each after the worker has gone idle; the worker runs with its default poll back-off.
 */
async function crossProcessWakeUp(
  runtime: Runtime,
  url: string,
  queueJob: (db: Database) => Promise<{ id: string; orgId: string }>,
  result: QueueBench,
) {
  const other = await createDatabase({ url, logger: silentLogger });
  try {
    for (const wakeUp of ["notify", "poll"] as const) {
      const worker = startWorker(runtime, {
        concurrency: 1,
        leaseSeconds: 30,
        listen: wakeUp === "notify",
      });
      const waits: number[] = [];
      for (let i = 0; i < 8; i++) {
        await worker.idle();
        // Let the idle back-off grow as it would between real uploads.
        await Bun.sleep(300 + Math.random() * 2_000);
        const job = await queueJob(other);
        for (;;) {
          const seen = await getJob(other, job.orgId, job.id);
          if (seen?.startedAt) {
            waits.push(seen.startedAt - seen.createdAt);
            break;
          }
          await Bun.sleep(5);
        }
      }
      await worker.stop();
      result.crossProcess.push({
        wakeUp,
        samples: waits.length,
        createToRunningMs: summary(waits),
      });
    }
  } finally {
    await other.close();
  }
}

/** A database of its own: a SQLite file, or a fresh database on the Postgres server. */
async function benchDatabase(engine: Engine, dir: string) {
  if (engine === "sqlite") return { url: `sqlite://${dir}/bench.sqlite`, drop: async () => {} };
  const name = `crp_bench_${crypto.randomUUID().replaceAll("-", "")}`;
  const admin = new SQL({ url: POSTGRES_URL, max: 1, connectionTimeout: 3 });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
    },
  };
}

async function seed(runtime: Runtime) {
  const org = await createOrganisation(runtime.db, { name: `bench-${crypto.randomUUID()}` });
  const id = newDocumentId();
  const storageKey = `orgs/${org.id}/documents/${id}/original`;
  const { size } = await runtime.store.put(storageKey, TEXT, { contentType: "text/plain" });
  const document = await createDocument(runtime.db, {
    id,
    orgId: org.id,
    uploadedBy: null,
    name: "bench.txt",
    contentType: "text/plain",
    size,
    sha256: "0".repeat(64),
    storageKey,
  });
  return (db: Database) =>
    createJob(db, {
      orgId: org.id,
      documentId: document.id,
      pipelineId: null,
      pipelineName: "bench",
      stages: STAGES,
      maxAttempts: 3,
    });
}

async function benchEngine(engine: Engine, jobs: number, result: QueueBench) {
  const dir = tempDir("crp-queue-bench-");
  const s3 = await startEmbeddedS3({ dataDir: join(dir.path, "s3"), logger: silentLogger });
  const database = await benchDatabase(engine, dir.path);
  const config = loadConfig({
    DATA_DIR: dir.path,
    DATABASE_URL: database.url,
    S3_ENDPOINT: s3.endpoint,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    LOG_LEVEL: "silent",
  });
  const runtime = await openRuntime({ config, logger: silentLogger, serveMetrics: false });
  try {
    const queueJob = await seed(runtime);

    for (const concurrency of [1, 2, 4]) {
      for (let i = 0; i < jobs; i++) await queueJob(runtime.db);
      const begun = performance.now();
      const worker = startWorker(runtime, { concurrency, leaseSeconds: 30 });
      await worker.idle();
      const seconds = (performance.now() - begun) / 1000;
      await worker.stop();
      result.throughput.push({ engine, concurrency, jobs, seconds, jobsPerSecond: jobs / seconds });
    }

    const worker = startWorker(runtime, { concurrency: 1, leaseSeconds: 30 });
    await worker.idle();
    const waits: number[] = [];
    for (let i = 0; i < 20; i++) {
      const job = await queueJob(runtime.db);
      worker.wake();
      await worker.idle();
      const done = await getJob(runtime.db, job.orgId, job.id);
      if (done?.startedAt) waits.push(done.startedAt - done.createdAt);
    }
    await worker.stop();
    result.latency.push({ engine, samples: waits.length, createToRunningMs: summary(waits) });

    if (engine === "postgres") await crossProcessWakeUp(runtime, database.url, queueJob, result);
  } finally {
    await runtime.close();
    await s3.stop();
    await database.drop();
    dir.cleanup();
  }
}

/** Runs the queue benchmark on both engines; `jobs` tiny jobs per concurrency level. */
export async function queueBenchmark(options: { jobs?: number } = {}): Promise<QueueBench> {
  const jobs = options.jobs ?? 100;
  const result: QueueBench = { throughput: [], latency: [], crossProcess: [], skipped: [] };
  for (const engine of ["sqlite", "postgres"] as const) {
    try {
      await benchEngine(engine, jobs, result);
    } catch (error) {
      if (engine === "sqlite") throw error;
      result.skipped.push(`postgres: ${(error as Error).message}`);
    }
  }
  return result;
}

if (import.meta.main) console.log(JSON.stringify(await queueBenchmark(), null, 2));
