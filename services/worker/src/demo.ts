/**
 * `bun run demo [output dir]`: starts API + worker in this process on a fresh temporary
 * DATA_DIR (removed on exit, so every run starts clean), uploads the sample documents the
 * repository ships through the HTTP API like any client, and prints what each job produced.
 * The report PDFs are written to the output directory (default ./demo-output); the process
 * exits 1 if any job did not succeed.
 */

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startApi } from "@crpipeline/api";
import { loadConfig } from "@crpipeline/config";
import { createLogger } from "@crpipeline/log";
import { openRuntime } from "@crpipeline/runtime";
import { startWorker } from "./worker.ts";

const FIXTURES = join(import.meta.dir, "../../../packages/ocr/fixtures");
const SAMPLES = [
  "text-layer.pdf",
  "scanned.pdf",
  "invoice.png",
  "invoice.jpg",
  "invoice.tiff",
  "text.md",
];
const OUT = resolve(process.argv[2] ?? "demo-output");
const ADMIN = { email: "demo@example.com", password: "demo-password" };

const dataDir = mkdtempSync(join(tmpdir(), "crp-demo-"));
const config = loadConfig({
  ...process.env,
  DATA_DIR: dataDir,
  API_PORT: "0",
  METRICS_PORT: "0",
  DATABASE_URL: undefined,
  S3_ENDPOINT: undefined,
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
  ADMIN_ORG: "demo",
  LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
});
const logger = createLogger("demo", { level: config.logLevel });
const runtime = await openRuntime({ config, logger, serveMetrics: false });
const worker = startWorker(runtime, { concurrency: 2, leaseSeconds: config.jobLeaseSeconds });
const api = await startApi(runtime, { port: 0, onJobQueued: () => worker.wake() });

async function call<T>(path: string, init: RequestInit = {}, token?: string): Promise<T> {
  const headers = new Headers(init.headers);
  if (token) headers.set("authorization", `Bearer ${token}`);
  const response = await fetch(`${api.url}${path}`, { ...init, headers });
  if (!response.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${await response.text()}`);
  return (await response.json()) as T;
}

try {
  const { token } = await call<{ token: string }>("/api/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(ADMIN),
  });
  const { pipeline } = await call<{ pipeline: { id: string } }>(
    "/api/pipelines",
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        name: "demo",
        stages: [
          { type: "ocr" },
          {
            type: "parse",
            keywords: ["invoice", "total"],
            regex: [{ name: "amount", pattern: "Total: ([\\d.,]+)", group: 1 }],
          },
          { type: "report", title: "crPipeline demo report" },
        ],
      }),
    },
    token,
  );

  mkdirSync(OUT, { recursive: true });
  for (const sample of SAMPLES) {
    const form = new FormData();
    form.append("pipelineId", pipeline.id);
    form.append("file", Bun.file(join(FIXTURES, sample)), sample);
    const started = performance.now();
    const { job } = await call<{ job: { id: string } }>(
      "/api/documents",
      { method: "POST", body: form },
      token,
    );

    type Output = { id: string; name: string; contentType: string };
    type JobView = { status: string; error: string | null; outputs: Output[] };
    let view: JobView;
    do {
      await Bun.sleep(200);
      view = (await call<{ job: JobView }>(`/api/jobs/${job.id}`, {}, token)).job;
    } while (view.status === "queued" || view.status === "running");

    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const ocr = view.outputs.find((o) => o.name === "ocr");
    const text = ocr
      ? ((await call<{ text: string }>(`/api/jobs/${job.id}/outputs/${ocr.id}`, {}, token)).text ??
        "")
      : "";
    const report = view.outputs.find((o) => o.name === "report-pdf");
    if (report) {
      const pdf = await fetch(`${api.url}/api/jobs/${job.id}/outputs/${report.id}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      await Bun.write(join(OUT, `${sample}.report.pdf`), await pdf.arrayBuffer());
    }
    const preview = text.replace(/\s+/g, " ").slice(0, 60);
    console.log(
      `${sample.padEnd(16)} ${view.status.padEnd(9)} ${seconds.padStart(5)} s  "${preview}…"`,
    );
    if (view.error) console.log(`  error: ${view.error}`);
    if (view.status !== "succeeded") process.exitCode = 1;
  }
  console.log(`\nreports written to ${OUT}`);
} finally {
  await api.stop();
  await worker.stop();
  await runtime.close();
  rmSync(dataDir, { recursive: true, force: true });
}
