/**
 * Prometheus files: promtool accepts the config and rules, the unit tests pass, every alert exists.
 */

import { describe, expect, test } from "bun:test";
import { requireCommand } from "@crpipeline/testing";
import {
  ALERT_RULES,
  ALERT_RULES_TEST,
  catalogueMetric,
  PROMETHEUS_CONFIG,
  promtool,
  readYaml,
  selectedSeries,
} from "./observability.test-utils.ts";

// DESIGN §7: the alerts operators are promised, the first two kept from the original system.
const DESIGN_ALERTS = [
  "HighLoginFailures",
  "ManyS3Errors",
  "JobsFailing",
  "LongRunningJobs",
  "RateLimitFallbackActive",
  "AiOcrErrors",
  "MetricsTargetDown",
];

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: AlertRule[] }[];
}
interface ScrapeConfig {
  job_name: string;
  dns_sd_configs: { names: string[]; type: string; port: number }[];
}
interface PrometheusConfig {
  global: { scrape_interval: string };
  rule_files: string[];
  scrape_configs: ScrapeConfig[];
}
interface RuleTestFile {
  rule_files: string[];
  tests: {
    name: string;
    alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[];
  }[];
}

const hasPromtool = await requireCommand("promtool");
const rules = (await readYaml<RuleFile>(ALERT_RULES)).groups.flatMap((group) => group.rules);
const config = await readYaml<PrometheusConfig>(PROMETHEUS_CONFIG);

function alert(name: string): AlertRule {
  const rule = rules.find((r) => r.alert === name);
  if (!rule) throw new Error(`alert ${name} is missing from alert-rules.yml`);
  return rule;
}

describe.skipIf(!hasPromtool)("promtool", () => {
  test("accepts prometheus.yml and the rule file it names", async () => {
    const result = await promtool(["check", "config", PROMETHEUS_CONFIG]);
    expect(result.output).toContain("1 rule files found");
    expect(result.exitCode).toBe(0);
  });

  test("accepts alert-rules.yml", async () => {
    const result = await promtool(["check", "rules", ALERT_RULES]);
    expect(result.output).toContain(`${rules.length} rules found`);
    expect(result.exitCode).toBe(0);
  });

  test("passes the alert unit tests", async () => {
    const result = await promtool(["test", "rules", ALERT_RULES_TEST]);
    if (result.exitCode !== 0) console.error(result.output);
    expect(result.exitCode).toBe(0);
  });
});

describe("alert-rules.yml", () => {
  test.each(DESIGN_ALERTS)("%s has a severity, a summary and a description", (name) => {
    const rule = alert(name);
    expect(["info", "warning", "critical"]).toContain(rule.labels?.severity ?? "");
    expect(rule.annotations?.summary?.trim()).toBeTruthy();
    expect(rule.annotations?.description?.trim()).toBeTruthy();
  });

  test("holds no alert beyond the ones DESIGN §7 names", () => {
    expect(rules.map((r) => r.alert).sort()).toEqual([...DESIGN_ALERTS].sort());
  });

  test("every metric an alert reads is in the catalogue", () => {
    const unknown = rules.flatMap((rule) =>
      selectedSeries(rule.expr)
        .filter((series) => series !== "up" && !catalogueMetric(series))
        .map((series) => `${rule.alert}: ${series}`),
    );
    expect(unknown).toEqual([]);
  });

  test("counter thresholds sum over label sets, so split counts add up", () => {
    const perSeries = rules
      .filter((rule) => rule.expr.includes("increase("))
      .filter((rule) => !/^sum(?: by \([^)]*\))? ?\(increase\(/.test(rule.expr))
      .map((rule) => rule.alert);
    expect(perSeries).toEqual([]);
  });

  test("LongRunningJobs takes the quantile of bucket rates summed by le", () => {
    expect(alert("LongRunningJobs").expr).toMatch(
      /^histogram_quantile\(0\.9, sum by \(le\) \(rate\(job_duration_seconds_bucket\[5m\]\)\)\) > 30$/,
    );
    expect(alert("LongRunningJobs").for).toBeDefined();
  });

  test("the two alerts kept from the original system keep their thresholds and windows", () => {
    expect(alert("HighLoginFailures")).toMatchObject({
      expr: "sum(increase(login_failures_total[5m])) > 5",
      for: "1m",
    });
    expect(alert("ManyS3Errors")).toMatchObject({
      expr: "sum(increase(s3_errors_total[5m])) > 10",
      for: "1m",
    });
  });
});

describe("alert-rules.test.yml", () => {
  test("loads alert-rules.yml from its own directory", async () => {
    const tests = await readYaml<RuleTestFile>(ALERT_RULES_TEST);
    expect(tests.rule_files).toEqual(["alert-rules.yml"]);
  });

  test.each(DESIGN_ALERTS)("%s has a firing case and a quiet case", async (name) => {
    const tests = await readYaml<RuleTestFile>(ALERT_RULES_TEST);
    const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
    const mine = cases.filter((c) => c.alertname === name);
    expect(mine.some((c) => c.exp_alerts.length > 0)).toBe(true);
    expect(mine.some((c) => c.exp_alerts.length === 0)).toBe(true);
  });
});

describe("prometheus.yml", () => {
  test("finds every api and worker replica on :9100 and loads the rules by relative path", () => {
    const targets = config.scrape_configs.flatMap((job) =>
      job.dns_sd_configs.flatMap((sd) => sd.names.map((name) => `${sd.type} ${name}:${sd.port}`)),
    );
    expect(targets.sort()).toEqual(["A api:9100", "A worker:9100"]);
    expect(config.rule_files).toEqual(["alert-rules.yml"]);
  });

  test("every scrape job is watched by MetricsTargetDown, down or without any target", () => {
    const { expr } = alert("MetricsTargetDown");
    const selector = expr.match(/job=~"([^"]+)"/)?.[1];
    expect(selector).toBeDefined();
    const watched = new RegExp(`^(?:${selector})$`);
    for (const job of config.scrape_configs) {
      expect(job.job_name).toMatch(watched);
      expect(expr).toContain(`absent(up{job="${job.job_name}"})`);
    }
  });
});
