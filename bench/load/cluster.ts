/** The system under load as real child processes: one S3 server, one API, N workers. */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, tempDir, waitFor } from "@crpipeline/testing";
import type { Subprocess } from "bun";

const ROOT = join(import.meta.dir, "..", "..");

export const ADMIN = {
  email: "load@admin.test",
  password: "load-test-password-1",
  org: "Load",
} as const;

export interface Cluster {
  apiUrl: string;
  apiPid: number;
  workerPids: number[];
  /** Where each process writes its log (`api.log`, `worker-1.log`, …), for post-mortems. */
  logDir: string;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  databaseUrl: string;
  workers: number;
  /** Jobs one worker runs at once (WORKER_CONCURRENCY). */
  workerConcurrency?: number;
  /** LOG_LEVEL of the API and workers; `info` writes one access-log line per request. */
  logLevel?: string;
}

/** Resident set size of a process in bytes, from `/proc/<pid>/status` (VmRSS, in kB). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) * 1024;
}

/** The first stdout line of `child`, which announces how to reach it. */
async function firstLine(child: Subprocess<"ignore", "pipe", "inherit">): Promise<string> {
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`child ${child.pid} exited before announcing itself`);
    text += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  return text.slice(0, text.indexOf("\n"));
}

async function stopChild(child: Subprocess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(10_000)]);
  if (!exited) child.kill("SIGKILL");
  await child.exited;
}

/** Fails fast with the child's log when it dies during start-up instead of timing out. */
function assertAlive(child: Subprocess, name: string, logBase: string): void {
  if (child.exitCode === null && child.signalCode === null) return;
  const log = ["log", "err"].map((ext) => readFileSync(`${logBase}.${ext}`, "utf8")).join("\n");
  throw new Error(
    `${name} exited (${child.exitCode ?? child.signalCode}) at start-up:\n${log.slice(-3000)}`,
  );
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const dir = tempDir("crp-load-");
  const children: Subprocess[] = [];
  const stop = async () => {
    // Workers and API first (they hold S3 connections), the S3 server last.
    for (const child of children.slice(1).reverse()) await stopChild(child);
    if (children[0]) await stopChild(children[0]);
    dir.cleanup();
  };

  try {
    const s3 = Bun.spawn(["bun", join(import.meta.dir, "s3-server.ts"), dir.path], {
      cwd: ROOT,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "inherit",
    });
    children.push(s3);
    const s3Info = JSON.parse(await firstLine(s3)) as {
      endpoint: string;
      accessKeyId: string;
      secretAccessKey: string;
    };

    const common = {
      ...process.env,
      NODE_ENV: "development",
      DATABASE_URL: options.databaseUrl,
      S3_ENDPOINT: s3Info.endpoint,
      AWS_ACCESS_KEY_ID: s3Info.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3Info.secretAccessKey,
      JWT_SECRET: crypto.randomUUID() + crypto.randomUUID(),
      LOG_LEVEL: options.logLevel ?? "info",
      METRICS_HOST: "127.0.0.1",
      // Text documents only: a single OCR thread per process keeps idle memory honest.
      OCR_CONCURRENCY: "1",
      WORKER_CONCURRENCY: String(options.workerConcurrency ?? 2),
    };
    const spawn = async (name: string, entry: string, env: Record<string, string>) => {
      const logBase = join(dir.path, name);
      const metricsPort = await freePort();
      const child = Bun.spawn(["bun", join(ROOT, entry)], {
        cwd: ROOT,
        env: { ...common, ...env, DATA_DIR: join(dir.path, name), METRICS_PORT: `${metricsPort}` },
        stdin: "ignore",
        stdout: Bun.file(`${logBase}.log`),
        stderr: Bun.file(`${logBase}.err`),
      });
      children.push(child);
      // Every role serves /metrics once its runtime is open: that is our readiness signal.
      await waitFor(
        async () => {
          assertAlive(child, name, logBase);
          return (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).ok;
        },
        { timeoutMs: 30_000, what: `${name} to start` },
      );
      return child;
    };

    const apiPort = await freePort();
    const api = await spawn("api", "services/api/src/main.ts", {
      API_HOST: "127.0.0.1",
      API_PORT: `${apiPort}`,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      ADMIN_ORG: ADMIN.org,
    });
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await waitFor(async () => (await fetch(`${apiUrl}/healthz`)).ok, { what: "API /healthz" });

    const workers: Subprocess[] = [];
    for (let i = 1; i <= options.workers; i++) {
      workers.push(await spawn(`worker-${i}`, "services/worker/src/main.ts", {}));
    }

    return {
      apiUrl,
      apiPid: api.pid,
      workerPids: workers.map((worker) => worker.pid),
      logDir: dir.path,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
