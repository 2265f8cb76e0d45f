/**
 * Drill helpers: crPipeline's entry points as real child processes, with their logs and metrics.
 */

import { join } from "node:path";
import { sampleValue } from "@crpipeline/telemetry";
import { freePort, waitFor } from "@crpipeline/testing";

export const REPO_ROOT = join(import.meta.dir, "..", "..", "..", "..");

export const ENTRY_POINTS = {
  api: join(REPO_ROOT, "services/api/src/main.ts"),
  worker: join(REPO_ROOT, "services/worker/src/main.ts"),
  services: join(REPO_ROOT, "services/worker/src/all-in-one.ts"),
} as const;

export type EntryPoint = keyof typeof ENTRY_POINTS;

export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  readonly metricsPort: number;
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number>;
  /** Null while it runs. */
  exitCode(): number | null;
  /** Everything it wrote so far (stdout, then stderr). */
  stdout(): string;
  stderr(): string;
  /** The first JSON log line whose `msg` is `message` (waits for it). */
  waitForLog(message: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** One value from its `/metrics`, scraped over HTTP. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Only what Bun needs from the test's own environment: no stray DATABASE_URL or S3 settings. */
function baseEnv(): Record<string, string> {
  const keep = ["PATH", "HOME", "LANG", "TMPDIR"];
  const env: Record<string, string> = {};
  for (const key of keep) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

/** Collects a piped stream into a string as it arrives. */
function drain(stream: ReadableStream<Uint8Array>): { text(): string } {
  let text = "";
  const decoder = new TextDecoder();
  void (async () => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  })().catch(() => {});
  return { text: () => text };
}

function parseLogLines(text: string): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      events.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a line cut in the middle of a write; the next read has it whole
    }
  }
  return events;
}

/** With DRILL_LOGS set: a service's warnings and errors, to see how it lived through a drill. */
function printNotable(name: string, stdout: string, stderr: string): void {
  const notable = parseLogLines(stdout).filter((e) => e.level === "warn" || e.level === "error");
  for (const event of notable) console.log(`[${name}] ${JSON.stringify(event).slice(0, 400)}`);
  if (stderr.trim()) console.log(`[${name} stderr] ${stderr.trim().slice(-2000)}`);
}

/**
 * Starts one entry point with `env` over a minimal base environment. METRICS_PORT is a free
 * port unless given; LOG_LEVEL is info so the drills can follow what it does.
 */
export async function spawnService(
  entry: EntryPoint,
  env: Record<string, string>,
  name: string = entry,
): Promise<ServiceProcess> {
  const metricsPort = Number(env.METRICS_PORT ?? (await freePort()));
  const child = Bun.spawn(["bun", ENTRY_POINTS[entry]], {
    cwd: REPO_ROOT,
    env: {
      ...baseEnv(),
      LOG_LEVEL: "info",
      METRICS_HOST: "127.0.0.1",
      API_HOST: "127.0.0.1",
      ...env,
      METRICS_PORT: String(metricsPort),
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = drain(child.stdout);
  const err = drain(child.stderr);
  const describe = () => `${name} (pid ${child.pid}) stderr:\n${err.text().slice(-2000)}`;

  const service: ServiceProcess = {
    name,
    pid: child.pid,
    metricsPort,
    exited: child.exited,
    exitCode: () => child.exitCode,
    stdout: () => out.text(),
    stderr: () => err.text(),
    waitForLog: (message, timeoutMs = 20_000) =>
      waitFor(
        () => {
          if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${describe()}`);
          return parseLogLines(out.text()).find((event) => event.msg === message);
        },
        { timeoutMs, intervalMs: 25, what: `${name} to log "${message}"` },
      ),
    async metric(metricName, labels = {}) {
      const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      if (!response.ok) throw new Error(`${name} /metrics answered ${response.status}`);
      return sampleValue(await response.text(), metricName, labels);
    },
    kill: (signal) => child.kill(signal),
    async stop(graceMs = 10_000) {
      if (process.env.DRILL_LOGS) printNotable(name, out.text(), err.text());
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await child.exited;
      clearTimeout(timer);
    },
  };
  return service;
}

/**
 * Starts the API (or `services`, the all-in-one process that serves it too) and waits until it
 * answers `/healthz`; its base URL is returned with it.
 */
export async function spawnApi(
  env: Record<string, string>,
  name = "api",
  entry: "api" | "services" = "api",
): Promise<{ service: ServiceProcess; url: string }> {
  const port = await freePort();
  const service = await spawnService(entry, { ...env, API_PORT: String(port) }, name);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (service.exitCode() !== null) {
        throw new Error(`${name} exited ${service.exitCode()}: ${service.stderr()}`);
      }
      return (await fetch(`${url}/healthz`)).ok;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: `${name} to answer /healthz` },
  );
  return { service, url };
}

/** Starts a worker and resolves once it has logged its id (it is polling from then on). */
export async function spawnWorker(
  env: Record<string, string>,
  name = "worker",
): Promise<{ service: ServiceProcess; workerId: string }> {
  const service = await spawnService("worker", env, name);
  const started = await service.waitForLog("worker started", 30_000);
  return { service, workerId: String(started.workerId) };
}
