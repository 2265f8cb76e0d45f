/** Helpers for the observability tests: file paths, YAML/JSON loading, promtool, PromQL names. */

import { join } from "node:path";
import { CATALOGUE, type MetricSpec } from "@crpipeline/telemetry";
import { parse } from "yaml";

export const OBSERVABILITY_DIR = join(import.meta.dir, "..");
export const PROMETHEUS_CONFIG = join(OBSERVABILITY_DIR, "prometheus/prometheus.yml");
export const ALERT_RULES = join(OBSERVABILITY_DIR, "prometheus/alert-rules.yml");
export const ALERT_RULES_TEST = join(OBSERVABILITY_DIR, "prometheus/alert-rules.test.yml");
export const DATASOURCES = join(
  OBSERVABILITY_DIR,
  "grafana/provisioning/datasources/prometheus.yml",
);
export const DASHBOARD_PROVIDERS = join(
  OBSERVABILITY_DIR,
  "grafana/provisioning/dashboards/crpipeline.yml",
);
export const DASHBOARD = join(OBSERVABILITY_DIR, "grafana/dashboards/crpipeline.json");

export async function readYaml<T>(path: string): Promise<T> {
  return parse(await Bun.file(path).text()) as T;
}

export interface CommandResult {
  exitCode: number;
  /** stdout and stderr together, as promtool mixes its findings over both. */
  output: string;
}

/** Runs promtool with `args`, feeding `stdin` when given. */
export async function promtool(args: string[], stdin?: string): Promise<CommandResult> {
  const child = Bun.spawn(["promtool", ...args], {
    stdin: stdin === undefined ? "ignore" : new Blob([stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { exitCode, output: `${stdout}${stderr}` };
}

// Words in an expression that are PromQL syntax, not series names.
const PROMQL_WORDS = new Set([
  "and",
  "or",
  "unless",
  "bool",
  "offset",
  "atan2",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "inf",
  "nan",
]);

/**
 * The series names a PromQL expression selects, as written (with any `_bucket` suffix).
 * Strings, label matchers, range durations and grouping label lists are removed first, so
 * label names and values are never taken for metrics; a word followed by `(` is a function.
 */
export function selectedSeries(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");

  const names = new Set<string>();
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = match[0];
    const before = stripped[match.index - 1] ?? "";
    const after = stripped.slice(match.index + word.length);
    if (/[0-9.]/.test(before)) continue; // the tail of a number such as 1e3
    if (/^\s*\(/.test(after)) continue; // a function call
    if (PROMQL_WORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}

/**
 * The catalogue entry a selected series belongs to: its own name, or for a histogram's
 * `_bucket`, `_sum` and `_count` series the histogram's name. Undefined for unknown names.
 */
export function catalogueMetric(series: string): MetricSpec | undefined {
  const exact = CATALOGUE.find((spec) => spec.name === series);
  if (exact) return exact;
  const base = series.replace(/_(bucket|sum|count)$/, "");
  return CATALOGUE.find((spec) => spec.name === base && spec.type === "histogram");
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
