/**
 * A real Prometheus for the live-system test: scrapes given targets every second, HTTP API client.
 */

import { join } from "node:path";
import { freePort, waitFor } from "@crpipeline/testing";
import { stringify } from "yaml";
import { type Child, spawnChild, waitUntilServing } from "./live-processes.ts";
import { ALERT_RULES } from "./observability.test-utils.ts";

export interface VectorSample {
  metric: Record<string, string>;
  /** Prometheus renders NaN and ±Inf as strings; `Number` reads them back. */
  value: number;
}

export interface Alert {
  labels: Record<string, string>;
  state: "pending" | "firing" | "inactive";
  activeAt: string;
  value: string;
}

export interface Prometheus {
  base: string;
  child: Child;
  /** An instant query now; throws with Prometheus' message if the expression is rejected. */
  query(expr: string): Promise<VectorSample[]>;
  /** The one value of a query that must return exactly one series. */
  scalar(expr: string): Promise<number>;
  alerts(): Promise<Alert[]>;
  /** Resolves once every target has been scraped after `epochMs` (so it holds what came before). */
  scrapedAfter(epochMs: number): Promise<void>;
  stop(): Promise<void>;
}

interface ApiAnswer<T> {
  status: "success" | "error";
  error?: string;
  data: T;
}

/**
 * Starts Prometheus on a free loopback port with a 1 s scrape and evaluation interval, the
 * project's alert rules as they are, and one static scrape job per entry of `targets`.
 */
export async function startPrometheus(
  dir: string,
  targets: Record<string, string[]>,
): Promise<Prometheus> {
  const targetCount = Object.values(targets).flat().length;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const configFile = join(dir, "prometheus.yml");
  await Bun.write(
    configFile,
    stringify({
      global: { scrape_interval: "1s", evaluation_interval: "1s" },
      rule_files: [ALERT_RULES],
      scrape_configs: Object.entries(targets).map(([job, addresses]) => ({
        job_name: job,
        static_configs: [{ targets: addresses }],
      })),
    }),
  );
  const child = spawnChild(
    "prometheus",
    [
      "prometheus",
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { PATH: process.env.PATH ?? "" },
  );
  await waitUntilServing(child, `${base}/-/ready`).catch(async (error: unknown) => {
    await child.stop();
    throw error;
  });

  async function call<T>(path: string): Promise<T> {
    const answer = (await (await fetch(`${base}${path}`)).json()) as ApiAnswer<T>;
    if (answer.status !== "success") throw new Error(`Prometheus ${path}: ${answer.error}`);
    return answer.data;
  }

  async function query(expr: string): Promise<VectorSample[]> {
    const data = await call<{
      result: { metric: Record<string, string>; value: [number, string] }[];
    }>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
    return data.result.map((series) => ({ metric: series.metric, value: Number(series.value[1]) }));
  }

  return {
    base,
    child,
    query,
    async scalar(expr) {
      const result = await query(expr);
      if (result.length !== 1) {
        throw new Error(`${expr} returned ${result.length} series, expected one`);
      }
      return result[0]?.value ?? Number.NaN;
    },
    async alerts() {
      return (await call<{ alerts: Alert[] }>("/api/v1/alerts")).alerts;
    },
    async scrapedAfter(epochMs) {
      const jobs = Object.keys(targets);
      await waitFor(
        async () => {
          const last = await query(`timestamp(up{job=~"${jobs.join("|")}"})`);
          return last.length === targetCount && last.every((s) => s.value * 1000 > epochMs);
        },
        { timeoutMs: 15_000, intervalMs: 200, what: `a scrape of every target after ${epochMs}` },
      );
    },
    async stop() {
      await child.stop();
    },
  };
}

/** Grafana's interval variables, as a dashboard query is sent with them filled in. */
export function withWindow(expr: string, window: string): string {
  return expr.replaceAll("$__rate_interval", window).replaceAll("$__interval", window);
}

/**
 * Polls /api/v1/alerts until every named alert fires, calling `meanwhile` every few seconds;
 * returns the names of every alert firing then.
 */
export async function waitForAlerts(
  prometheus: Prometheus,
  names: string[],
  meanwhile: () => Promise<void>,
): Promise<string[]> {
  const deadline = Date.now() + 120_000;
  let nextCall = Date.now() + 3_000;
  while (Date.now() < deadline) {
    const alerts = await prometheus.alerts();
    const firing = alerts.filter((a) => a.state === "firing").map((a) => a.labels.alertname ?? "");
    if (names.every((name) => firing.includes(name))) return firing;
    if (Date.now() >= nextCall) {
      await meanwhile();
      nextCall = Date.now() + 3_000;
    }
    await Bun.sleep(500);
  }
  const states = (await prometheus.alerts()).map((a) => `${a.labels.alertname}=${a.state}`);
  throw new Error(`alerts ${names.join(", ")} not all firing after 120 s: ${states.join(", ")}`);
}

/** A bucket's `le` label as a number; Prometheus writes the last one as "+Inf". */
export function bound(le: string | undefined): number {
  return le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le);
}
