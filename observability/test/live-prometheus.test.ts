/** A real Prometheus scrapes the real exporter: every dashboard query returns series carrying the
 * labels its legend names, and every alert rule evaluates without error. */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createTestTelemetry } from "@crpipeline/telemetry";
import { freePort, requireCommand, tempDir, waitFor } from "@crpipeline/testing";
import { stringify } from "yaml";
import { ALERT_RULES, DASHBOARD } from "./observability.test-utils.ts";

interface Target {
  refId: string;
  expr: string;
  legendFormat: string;
}
interface Panel {
  title: string;
  targets: Target[];
}
interface QueryResponse {
  status: string;
  error?: string;
  data: { result: { metric: Record<string, string>; value?: [number, string] }[] };
}
interface RulesResponse {
  data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
}

const SCRAPE_SECONDS = 1;
// Several scrapes per window, as Grafana's $__rate_interval guarantees at 15 s scrapes.
const RATE_INTERVAL = "10s";
const ACTIVITY_EVERY_MS = 250;

const hasPrometheus = await requireCommand("prometheus");
const { panels } = (await Bun.file(DASHBOARD).json()) as { panels: Panel[] };

describe.skipIf(!hasPrometheus)("dashboard and alerts on a real Prometheus", () => {
  const telemetry = createTestTelemetry();
  const dir = tempDir("crp-prometheus-");
  let prometheus: ReturnType<typeof Bun.spawn> | undefined;
  let activity: ReturnType<typeof setInterval> | undefined;
  let base = "";

  beforeAll(async () => {
    telemetry.listen();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;

    const config = join(dir.path, "prometheus.yml");
    await Bun.write(
      config,
      stringify({
        global: { scrape_interval: `${SCRAPE_SECONDS}s`, evaluation_interval: "1s" },
        rule_files: [ALERT_RULES],
        scrape_configs: [
          {
            job_name: "crpipeline-worker",
            static_configs: [{ targets: [`127.0.0.1:${telemetry.port}`] }],
          },
        ],
      }),
    );
    prometheus = Bun.spawn(
      [
        "prometheus",
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir.path, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--log.level=warn",
      ],
      { stdout: "ignore", stderr: "pipe" },
    );
    await waitFor(async () => (await fetch(`${base}/-/ready`)).ok, { what: "prometheus ready" });

    // Activity between scrapes, touching every label the dashboard legends name. Prometheus
    // starts scraping only after its first service-discovery update (about 5 s), so the tests
    // wait until a rate window holds enough scrapes.
    activity = setInterval(() => recordActivity(telemetry.metrics), ACTIVITY_EVERY_MS);
    await waitFor(
      async () => {
        const scrapes = await query(base, `count_over_time(up[${RATE_INTERVAL}])`);
        return Number(scrapes.data.result[0]?.value?.[1] ?? 0) >= 5;
      },
      { timeoutMs: 25_000, intervalMs: 250, what: "five scrapes of the exporter" },
    );
  }, 40_000);

  afterAll(async () => {
    clearInterval(activity);
    prometheus?.kill();
    await prometheus?.exited;
    await telemetry.shutdown();
    dir.cleanup();
  });

  test("every dashboard query returns series with the labels of its legend", async () => {
    const problems: string[] = [];
    for (const panel of panels) {
      for (const target of panel.targets) {
        const expr = target.expr.replaceAll("$__rate_interval", RATE_INTERVAL);
        const answer = await query(base, expr);
        const where = `${panel.title} [${target.refId}]`;
        if (answer.status !== "success") {
          problems.push(`${where}: ${answer.error}`);
          continue;
        }
        if (answer.data.result.length === 0) problems.push(`${where}: no series`);
        const legendLabels = [...target.legendFormat.matchAll(/\{\{\s*(\w+)\s*\}\}/g)];
        for (const [, label] of legendLabels) {
          if (answer.data.result.some((series) => !label || !(label in series.metric))) {
            problems.push(`${where}: legend label ${label} missing from the result`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  }, 30_000);

  test("every alert rule evaluates without error", async () => {
    const rules = await waitFor(
      async () => {
        const answer = (await (await fetch(`${base}/api/v1/rules`)).json()) as RulesResponse;
        const all = answer.data.groups.flatMap((group) => group.rules);
        return all.length > 0 && all.every((rule) => rule.health !== "unknown") ? all : undefined;
      },
      { what: "rules evaluated" },
    );
    expect(rules.filter((rule) => rule.health !== "ok")).toEqual([]);
  });
});

async function query(base: string, expr: string): Promise<QueryResponse> {
  const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return (await response.json()) as QueryResponse;
}

function recordActivity(metrics: ReturnType<typeof createTestTelemetry>["metrics"]): void {
  metrics.jobFinished("succeeded", 12);
  metrics.jobFinished("failed", 40);
  for (const stage of ["ocr", "ai", "parse", "report"] as const) {
    metrics.stageFinished(stage, "succeeded", 0.7);
  }
  metrics.ocrCall("tesseract.js", 0.9);
  metrics.aiOcrError("ai");
  metrics.s3Error("put");
  metrics.loginFailure("bad_password");
  metrics.rateLimitFallback();
  metrics.httpRequest("GET", "/api/jobs/:id", 200, 0.02);
  metrics.httpRequest("POST", "/api/documents", 500, 0.3);
  metrics.httpRequest("POST", "/api/auth/login", 401, 0.05);
  metrics.jobStarted();
  metrics.jobStopped();
  metrics.setQueuedJobs(3);
  metrics.queueWait(1.5);
  metrics.jobRetried("lease_expired");
  metrics.workerShutdown();
}
