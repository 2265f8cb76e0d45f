/**
 * Benchmark: requests per second on an authenticated read (`GET /api/jobs?limit=20` with a
 * session token) against the API in this process, with and without the request
 * instrumentation, and against a bare `Bun.serve` answering a static JSON body of the same
 * size (the ceiling); plus upload MB/s of a 20 MB file through the API to S3.
 *
 *   bun bench/api.bench.ts
 */

import { loadavg } from "node:os";
import { join } from "node:path";
import { loadConfig } from "@crpipeline/config";
import { tempDir } from "@crpipeline/testing";
import { createLogger, silentLogger } from "../packages/log/src/index.ts";
import { createRateLimiter } from "../packages/ratelimit/src/index.ts";
import { openRuntime, type Runtime } from "../packages/runtime/src/index.ts";
import { type ApiDeps, buildApiDeps, createAdmin, createApp } from "../services/api/src/index.ts";
import type { ClosedLoopResult } from "./load/closed-loop.ts";
import { LOAD_PIPELINE } from "./load/seed.ts";

export interface ApiBench {
  /** `wrk` when installed, else the closed-loop Bun client in a child process. */
  client: "wrk" | "bun";
  concurrency: number;
  secondsPerRun: number;
  passes: number;
  /** Size of the `GET /api/jobs?limit=20` answer (20 jobs) and of the static body. */
  responseBytes: number;
  /** `instrumented`: metrics and the access log (LOG_LEVEL=info); `metricsOnly`: LOG_LEVEL=warn. */
  requestsPerSecond: {
    instrumented: number;
    metricsOnly: number;
    uninstrumented: number;
    staticJson: number;
  };
  ratios: {
    /** Throughput kept with metrics and the access log on (1 = free). */
    instrumentedToUninstrumented: number;
    metricsOnlyToUninstrumented: number;
    /** Share of a bare server's throughput the full authenticated route reaches. */
    instrumentedToStatic: number;
    uninstrumentedToStatic: number;
  };
  upload: { megabytes: number; runs: number; medianMBps: number; bestMBps: number };
  /** The machine's 1-minute load average at the end: on a shared machine, read it first. */
  loadAverage: number;
}

const ADMIN = { email: "bench@admin.test", password: "bench-password-1", org: "Bench" };
const MB = 1024 * 1024;

interface Options {
  concurrency?: number;
  seconds?: number;
  uploadMegabytes?: number;
  /** Measurements of each target, taken in turn; the best counts. */
  passes?: number;
}

interface Target {
  url: string;
  stop(): Promise<void> | void;
}

/** Requests per second of `url` for `seconds`; any non-2xx answer makes the run invalid. */
async function measure(url: string, headers: Record<string, string>, o: Required<Options>) {
  if (Bun.which("wrk")) {
    const args = ["wrk", "-t1", `-c${o.concurrency}`, `-d${o.seconds}s`];
    for (const [name, value] of Object.entries(headers)) args.push("-H", `${name}: ${value}`);
    const child = Bun.spawn([...args, url], { stdout: "pipe", stderr: "pipe" });
    const output = await new Response(child.stdout).text();
    await child.exited;
    const rate = /Requests\/sec:\s+([\d.]+)/.exec(output)?.[1];
    if (!rate || /Non-2xx|Socket errors/.test(output))
      throw new Error(`wrk run failed:\n${output}`);
    return Number(rate);
  }
  const spec = { url, headers, concurrency: o.concurrency, seconds: o.seconds };
  const child = Bun.spawn(
    ["bun", join(import.meta.dir, "load/closed-loop.ts"), JSON.stringify(spec)],
    {
      stdout: "pipe",
    },
  );
  const result = JSON.parse(await new Response(child.stdout).text()) as ClosedLoopResult;
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`client run failed: ${JSON.stringify(result)}`);
  }
  return result.requests / result.seconds;
}

/** The API over `deps`, listening on a free loopback port. */
function serveApi(deps: ApiDeps, instrument: boolean): Target {
  const app = createApp(deps, { instrument });
  app.listen({
    hostname: "127.0.0.1",
    port: 0,
    maxRequestBodySize: deps.config.maxUploadBytes + MB,
  });
  return { url: `http://127.0.0.1:${app.server?.port}`, stop: async () => void (await app.stop()) };
}

async function call<T>(url: string, path: string, token: string | null, body: unknown) {
  const response = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token ?? ""}` },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return (await response.json()) as T;
}

/** A logged-in admin, a pipeline and 20 queued jobs (no worker runs, so they stay queued). */
async function seedJobs(url: string) {
  const { token } = await call<{ token: string }>(url, "/api/auth/login", null, {
    email: ADMIN.email,
    password: ADMIN.password,
  });
  const { pipeline } = await call<{ pipeline: { id: string } }>(
    url,
    "/api/pipelines",
    token,
    LOAD_PIPELINE,
  );
  for (let i = 0; i < 20; i++) {
    const form = new FormData();
    form.append("pipelineId", pipeline.id);
    form.append("file", new Blob([`Invoice ${i}\nTotal: ${i}.00 EUR\n`]), `invoice-${i}.txt`);
    const response = await upload(url, token, form);
    if (response.status !== 201) throw new Error(`seed upload answered ${response.status}`);
  }
  return token;
}

const upload = (url: string, token: string, body: FormData) =>
  fetch(`${url}/api/documents`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body,
  });

/** MB/s of `runs` uploads of a `megabytes` text file, one at a time. */
async function benchUpload(url: string, token: string, megabytes: number, runs: number) {
  const line = "Invoice 2024-0042 line item 0001 quantity 1 price 12.50 EUR total 12.50\n";
  const text = line.repeat(Math.ceil((megabytes * MB) / line.length)).slice(0, megabytes * MB);
  const file = new Blob([text], { type: "text/plain" });
  const rates: number[] = [];
  for (let i = 0; i < runs; i++) {
    const form = new FormData();
    form.append("file", file, `big-${i}.txt`);
    const started = performance.now();
    const response = await upload(url, token, form);
    await response.arrayBuffer();
    if (response.status !== 201) throw new Error(`upload answered ${response.status}`);
    rates.push(megabytes / ((performance.now() - started) / 1000));
  }
  rates.sort((a, b) => a - b);
  return { median: rates[Math.floor(rates.length / 2)] ?? 0, best: rates.at(-1) ?? 0 };
}

export async function benchApi(options: Options = {}): Promise<ApiBench> {
  const o: Required<Options> = {
    concurrency: 32,
    seconds: 5,
    uploadMegabytes: 20,
    passes: 3,
    ...options,
  };
  const dir = tempDir("crp-api-bench-");
  // The access log goes where production's would (a file descriptor), not to the terminal.
  const sink = Bun.file("/dev/null").writer();
  const write = (line: string) => void sink.write(`${line}\n`);
  const logger = createLogger("api", { level: "info", write });
  const quietLogger = createLogger("api", { level: "warn", write });
  let runtime: Runtime | undefined;
  let deps: ApiDeps | undefined;
  try {
    const config = loadConfig({ DATA_DIR: dir.path, LOG_LEVEL: "info" });
    runtime = await openRuntime({ config, logger, serveMetrics: false });
    const built = await buildApiDeps(runtime);
    built.limiter.close();
    // One session sends every request: lift its `api` limit (600 a minute) so the benchmark
    // measures serving, not refusing. The limiter is still consulted on each request.
    const apiDeps: ApiDeps = {
      ...built,
      limiter: createRateLimiter({
        config,
        metrics: runtime.metrics,
        logger: silentLogger,
        policies: { api: { limit: 1_000_000_000, windowMs: 60_000 } },
      }),
    };
    deps = apiDeps;
    await createAdmin(runtime.db, ADMIN);

    const seeding = serveApi(apiDeps, true);
    const token = await seedJobs(seeding.url);
    const path = "/api/jobs?limit=20";
    const body = await (
      await fetch(`${seeding.url}${path}`, { headers: { authorization: `Bearer ${token}` } })
    ).text();
    const uploadRates = await benchUpload(seeding.url, token, o.uploadMegabytes, 3);
    await seeding.stop();

    const staticBody = JSON.stringify({ pad: "x".repeat(Math.max(0, body.length - 10)) });
    const targets: Record<keyof ApiBench["requestsPerSecond"], () => Target> = {
      instrumented: () => serveApi(apiDeps, true),
      metricsOnly: () => serveApi({ ...apiDeps, logger: quietLogger }, true),
      uninstrumented: () => serveApi(apiDeps, false),
      staticJson: () => {
        const server = Bun.serve({
          hostname: "127.0.0.1",
          port: 0,
          fetch: () =>
            new Response(staticBody, { headers: { "content-type": "application/json" } }),
        });
        return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
      },
    };

    // Passes in turn, keeping each target's best: a neighbour's burst on a shared machine then
    // lowers one sample, not the comparison.
    const rps = { instrumented: 0, metricsOnly: 0, uninstrumented: 0, staticJson: 0 };
    const headers = { authorization: `Bearer ${token}` };
    for (let pass = 0; pass < o.passes; pass++) {
      for (const name of Object.keys(targets) as (keyof typeof rps)[]) {
        const target = targets[name]();
        const url = `${target.url}${path}`;
        await measure(url, headers, { ...o, seconds: 1 }); // warm-up: JIT, connections
        rps[name] = Math.max(rps[name], await measure(url, headers, o));
        await target.stop();
      }
    }

    const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
    return {
      client: Bun.which("wrk") ? "wrk" : "bun",
      concurrency: o.concurrency,
      secondsPerRun: o.seconds,
      passes: o.passes,
      responseBytes: body.length,
      requestsPerSecond: {
        instrumented: Math.round(rps.instrumented),
        metricsOnly: Math.round(rps.metricsOnly),
        uninstrumented: Math.round(rps.uninstrumented),
        staticJson: Math.round(rps.staticJson),
      },
      ratios: {
        instrumentedToUninstrumented: ratio(rps.instrumented, rps.uninstrumented),
        metricsOnlyToUninstrumented: ratio(rps.metricsOnly, rps.uninstrumented),
        instrumentedToStatic: ratio(rps.instrumented, rps.staticJson),
        uninstrumentedToStatic: ratio(rps.uninstrumented, rps.staticJson),
      },
      upload: {
        megabytes: o.uploadMegabytes,
        runs: 3,
        medianMBps: Math.round(uploadRates.median * 10) / 10,
        bestMBps: Math.round(uploadRates.best * 10) / 10,
      },
      loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    };
  } finally {
    deps?.events.stop();
    deps?.limiter.close();
    await runtime?.close();
    await sink.end();
    dir.cleanup();
  }
}

if (import.meta.main) console.log(JSON.stringify(await benchApi(), null, 2));
