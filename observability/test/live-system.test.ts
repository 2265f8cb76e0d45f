/**
 * The whole system under a real Prometheus: the api and worker as child processes, a workload
 * over HTTP, then every dashboard query, the alerts and the counted numbers checked through
 * Prometheus' HTTP API against what the workload did.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import {
  createTestDatabase,
  postgresAvailable,
  type TestDatabase,
} from "@crpipeline/db/db.test-utils";
import { silentLogger } from "@crpipeline/log";
import { type EmbeddedS3, startEmbeddedS3 } from "@crpipeline/storage";
import type { LoginFailureReason } from "@crpipeline/telemetry";
import { freePort, requireCommand, tempDir } from "@crpipeline/testing";
import {
  apiClient,
  type FailingAi,
  type JobView,
  login,
  malformedLogin,
  startFailingAi,
} from "./live-api-client.ts";
import { problemsAtStart, ZERO_AT_START } from "./live-metrics.ts";
import { baseEnv, type Child, REPO_ROOT, spawnChild, waitUntilServing } from "./live-processes.ts";
import {
  bound,
  type Prometheus,
  startPrometheus,
  waitForAlerts,
  withWindow,
} from "./live-prometheus-server.ts";
import { ALERT_RULES, DASHBOARD, promtool, readYaml } from "./observability.test-utils.ts";

const hasPrometheus = await requireCommand("prometheus");

const ADMIN = { email: "admin@live.test", password: "live-test-password", org: "live-test" };
const FIXTURES = join(REPO_ROOT, "packages/ocr/fixtures");
const TEXT = Bun.file(join(FIXTURES, "text.txt"));
const IMAGE = Bun.file(join(FIXTURES, "invoice.png"));
const JOB_MAX_ATTEMPTS = 2;
const AI_MAX_RETRIES = 1;
/** Longer than the whole run, so range queries see every event of the workload. */
const WHOLE_RUN = "5m";

interface Panel {
  title: string;
  targets: { refId: string; expr: string }[];
}
interface RuleFile {
  groups: { rules: { alert: string; expr: string }[] }[];
}

describe.skipIf(!hasPrometheus || !postgresAvailable)("the live system under Prometheus", () => {
  const dir = tempDir("crp-live-");
  const startedAt = performance.now();
  const children: Child[] = [];
  let database: TestDatabase | undefined;
  let s3: EmbeddedS3 | undefined;
  let ai: FailingAi | undefined;
  let prometheus: Prometheus;
  let apiBase = "";
  let metricsUrls: Record<"api" | "worker", string>;

  // What the workload did, as the API and the test's own counts say.
  let client: ReturnType<typeof apiClient>;
  const jobs: { report: JobView[]; ai: JobView[] } = { report: [], ai: [] };
  const loginFailures = new Map<LoginFailureReason, number>();
  const unexpectedLogins: string[] = [];
  let failedS3Calls = 0;
  const unexpectedUploads: string[] = [];
  /** Printed at the end, so a run's log shows what was measured. */
  const observed: Record<string, unknown> = {};

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    s3 = await startEmbeddedS3({ dataDir: join(dir.path, "s3"), logger: silentLogger });
    ai = startFailingAi();

    const [apiPort, apiMetricsPort, workerMetricsPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
    ]);
    apiBase = `http://127.0.0.1:${apiPort}`;
    metricsUrls = {
      api: `http://127.0.0.1:${apiMetricsPort}/metrics`,
      worker: `http://127.0.0.1:${workerMetricsPort}/metrics`,
    };
    const shared = {
      DATABASE_URL: database.url,
      S3_ENDPOINT: s3.endpoint,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AI_API_URL: ai.url,
      AI_API_KEY: "sk-live-test",
      JWT_SECRET: crypto.randomUUID() + crypto.randomUUID(),
      JOB_MAX_ATTEMPTS: String(JOB_MAX_ATTEMPTS),
      OCR_CONCURRENCY: "1",
      METRICS_HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
    };
    const api = spawnChild(
      "api",
      ["bun", "services/api/src/main.ts"],
      baseEnv({
        ...shared,
        DATA_DIR: join(dir.path, "api"),
        API_HOST: "127.0.0.1",
        API_PORT: String(apiPort),
        METRICS_PORT: String(apiMetricsPort),
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        ADMIN_ORG: ADMIN.org,
      }),
    );
    children.push(api);
    const worker = spawnChild(
      "worker",
      ["bun", "services/worker/src/main.ts"],
      baseEnv({
        ...shared,
        DATA_DIR: join(dir.path, "worker"),
        METRICS_PORT: String(workerMetricsPort),
      }),
    );
    children.push(worker);
    await Promise.all([
      waitUntilServing(api, `${apiBase}/healthz`),
      waitUntilServing(api, metricsUrls.api),
      waitUntilServing(worker, metricsUrls.worker),
    ]);

    prometheus = await startPrometheus(join(dir.path, "prometheus"), {
      "crpipeline-api": [new URL(metricsUrls.api).host],
      "crpipeline-worker": [new URL(metricsUrls.worker).host],
    });
    // The zeros must be stored before the first event, or increase() misses that event.
    await prometheus.scrapedAfter(Date.now());
  }, 60_000);

  afterAll(async () => {
    observed.wallSeconds = Math.round((performance.now() - startedAt) / 1000);
    console.info(`live system observed: ${JSON.stringify(observed)}`);
    await prometheus?.stop();
    for (const child of children) await child.stop();
    await s3?.stop();
    await ai?.stop();
    await database?.cleanup();
    dir.cleanup();
  }, 30_000);

  test("each role starts with every contract counter, gauge and histogram at 0", async () => {
    expect(ZERO_AT_START.map((spec) => spec.name)).toContain("login_failures_total");
    for (const [role, url] of Object.entries(metricsUrls)) {
      const text = await (await fetch(url)).text();
      expect({ role, problems: problemsAtStart(text) }).toEqual({ role, problems: [] });
    }
    const up = await prometheus.query('up{job=~"crpipeline-.*"} == 1');
    expect(up.map((series) => series.metric.job).sort()).toEqual([
      "crpipeline-api",
      "crpipeline-worker",
    ]);
  });

  test("documents go through pipelines: text and image reports succeed, AI jobs fail", async () => {
    const session = await login(apiBase, ADMIN.email, ADMIN.password);
    expect(session.status).toBe(200);
    client = apiClient(apiBase, ((await session.json()) as { token: string }).token);

    const report = await client.createPipeline("report", [
      { type: "ocr" },
      {
        type: "parse",
        keywords: ["total"],
        regex: [{ name: "invoice", pattern: "Invoice (\\S+)", group: 1 }],
      },
      { type: "report", title: "Live report" },
    ]);
    const aiPipeline = await client.createPipeline("summary", [
      { type: "ocr" },
      {
        type: "ai",
        prompt: "Summarise this document.",
        maxRetries: AI_MAX_RETRIES,
        timeoutMs: 5_000,
      },
    ]);

    // Two rounds, so every job and stage series has several observations for the quantiles.
    for (let round = 0; round < 2; round++) {
      const ids = await Promise.all([
        client.uploadForJob(TEXT, "invoice.txt", report),
        client.uploadForJob(IMAGE, "invoice.png", report),
        client.uploadForJob(TEXT, "invoice.txt", aiPipeline),
      ]);
      const finished = await client.waitForFinalStates(ids, 60_000);
      jobs.report.push(...finished.slice(0, 2));
      jobs.ai.push(...finished.slice(2));
      await prometheus.scrapedAfter(Date.now() + 250);
    }

    expect(jobs.report.map((job) => job.status)).toEqual(Array(4).fill("succeeded"));
    expect(jobs.ai.map((job) => [job.status, job.attempts])).toEqual(
      Array(2).fill(["failed", JOB_MAX_ATTEMPTS]),
    );
    for (const job of jobs.ai) {
      expect(job.error).toContain(`(ai): AI call failed after ${1 + AI_MAX_RETRIES} attempts`);
    }
  }, 150_000);

  test("failed logins and an S3 outage take HighLoginFailures and ManyS3Errors to firing", async () => {
    // The admin account allows 5 attempts in 5 minutes (its successful login included) and the
    // address 10 a minute, so the last attempts are refused before any password check; those
    // count as `rate_limited` failures.
    const wrongPassword = { email: ADMIN.email, reason: "bad_password" } as const;
    const attempts = [
      ...[wrongPassword, wrongPassword, wrongPassword],
      ...[1, 2, 3, 4].map((i) => ({
        email: `nobody${i}@live.test`,
        reason: "unknown_user" as const,
      })),
      ...[wrongPassword, wrongPassword, wrongPassword],
    ];
    const count = (reason: LoginFailureReason) =>
      loginFailures.set(reason, (loginFailures.get(reason) ?? 0) + 1);
    for (const { email, reason } of attempts) {
      const response = await login(apiBase, email, "not-the-password");
      if (response.status === 401) count(reason);
      else if (response.status === 429) count("rate_limited");
      else unexpectedLogins.push(`${email}: ${response.status}`);
    }
    const malformed = await malformedLogin(apiBase);
    if (malformed.status === 400) count("invalid_request");
    else unexpectedLogins.push(`malformed: ${malformed.status}`);

    await s3?.stop();
    const failingUpload = async () => {
      const response = await client.upload(TEXT, "during-outage.txt");
      const body = await response.text();
      if (response.status === 503 && body.includes("storage_unavailable")) failedS3Calls += 1;
      else unexpectedUploads.push(`${response.status}: ${body.slice(0, 200)}`);
    };
    for (let i = 0; i < 11; i++) await failingUpload();

    // Both alerts hold their condition for 1 minute; a failing call every few seconds keeps
    // the outage visible the whole time, as a real one would be.
    const outageStarted = performance.now();
    const firing = await waitForAlerts(
      prometheus,
      ["HighLoginFailures", "ManyS3Errors"],
      failingUpload,
    );

    observed.secondsUntilFiring = Math.round((performance.now() - outageStarted) / 1000);
    observed.firing = firing;
    const restarted = await startEmbeddedS3({
      dataDir: join(dir.path, "s3"),
      logger: silentLogger,
      port: s3?.port,
      secretAccessKey: s3?.secretAccessKey,
    });
    s3 = restarted;
    expect((await client.upload(TEXT, "after-outage.txt")).status).toBe(201);
    await prometheus.scrapedAfter(Date.now() + 250);

    expect(unexpectedLogins).toEqual([]);
    expect(loginFailures.get("rate_limited") ?? 0).toBeGreaterThan(0);
    expect(unexpectedUploads).toEqual([]);
    expect(failedS3Calls).toBeGreaterThan(10);
    expect(firing).toContain("JobsFailing");
  }, 150_000);

  test("every query of every dashboard panel returns data", async () => {
    const { panels } = (await Bun.file(DASHBOARD).json()) as { panels: Panel[] };
    const problems: string[] = [];
    for (const panel of panels) {
      for (const target of panel.targets) {
        const where = `${panel.title} [${target.refId}]`;
        const recent = await prometheus.query(withWindow(target.expr, "1m"));
        if (recent.length === 0) problems.push(`${where}: no series over 1m`);
        const whole = await prometheus.query(withWindow(target.expr, WHOLE_RUN));
        if (!whole.some((series) => Number.isFinite(series.value))) {
          problems.push(`${where}: no finite value over ${WHOLE_RUN}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test("every panel but two shows more than zero at some point of the run", async () => {
    const { panels } = (await Bun.file(DASHBOARD).json()) as { panels: Panel[] };
    const flat: string[] = [];
    for (const panel of panels) {
      for (const target of panel.targets) {
        // The highest value of the panel's query, evaluated every second over the run.
        const expr = `max_over_time((${withWindow(target.expr, "30s")})[${WHOLE_RUN}:1s])`;
        const peaks = (await prometheus.query(expr)).map((series) => series.value);
        if (!peaks.some((value) => value > 0)) flat.push(`${panel.title} [${target.refId}]`);
      }
    }
    // Left flat on purpose: this run has no Redis to lose (the Redis drill moves that counter),
    // and its processes stop only after Prometheus' last scrape.
    expect(flat).toEqual(["Worker shutdowns [A]", "Rate limit fallbacks [A]"]);
  });

  test("jobs, stages and AI failures are counted once, as the API and the AI endpoint saw them", async () => {
    const all = [...jobs.report, ...jobs.ai];
    const claims = (list: JobView[]) => list.reduce((sum, job) => sum + job.attempts, 0);
    const value = (expr: string) => prometheus.scalar(`sum(${expr})`);

    expect(await value("jobs_total")).toBe(all.length);
    expect(await value('jobs_total{status="succeeded"}')).toBe(jobs.report.length);
    expect(await value('jobs_total{status="failed"}')).toBe(jobs.ai.length);
    expect(await value('jobs_total{status="canceled"}')).toBe(0);
    expect(await value("job_duration_seconds_count")).toBe(all.length);
    expect(await value("job_queue_wait_seconds_count")).toBe(claims(all));
    expect(await value('job_retries_total{reason="stage_error"}')).toBe(
      claims(jobs.ai) - jobs.ai.length,
    );

    // Every claim runs the stages from the start; each run is measured once.
    const stageRuns = (stage: string, status: string) =>
      value(`stage_duration_seconds_count{stage="${stage}",status="${status}"}`);
    expect(await stageRuns("ocr", "succeeded")).toBe(jobs.report.length + claims(jobs.ai));
    expect(await stageRuns("parse", "succeeded")).toBe(jobs.report.length);
    expect(await stageRuns("report", "succeeded")).toBe(jobs.report.length);
    expect(await stageRuns("ai", "failed")).toBe(claims(jobs.ai));
    // Label sets nobody observed are served at 0 (so rate() sees their first event): only
    // non-zero ones are runs.
    const otherFailures = 'stage_duration_seconds_count{status="failed",stage!="ai"} > 0';
    expect(await prometheus.query(otherFailures)).toEqual([]);

    expect(ai?.calls()).toBe(claims(jobs.ai) * (1 + AI_MAX_RETRIES));
    expect(await value('ai_ocr_errors_total{service="ai"}')).toBe(ai?.calls() ?? -1);
    expect(await value('ocr_duration_seconds_count{engine="tesseract.js"}')).toBeGreaterThanOrEqual(
      2,
    );
    expect(await value("running_jobs")).toBe(0);
    observed.jobs = { succeeded: jobs.report.length, failed: jobs.ai.length, claims: claims(all) };
    observed.aiCalls = ai?.calls();
  });

  test("job and stage durations are plausible", async () => {
    const wallSeconds = (performance.now() - startedAt) / 1000;
    const plausible = (seconds: number) => seconds > 0 && seconds < wallSeconds;

    for (const q of [0.5, 0.9, 0.99]) {
      const seconds = await prometheus.scalar(quantile(q, "job_duration_seconds", "le"));
      expect({ q, seconds, plausible: plausible(seconds) }).toMatchObject({ plausible: true });
    }
    const byStage = await prometheus.query(quantile(0.9, "stage_duration_seconds", "le, stage"));
    expect(byStage.map((s) => [s.metric.stage, plausible(s.value)]).sort()).toEqual([
      ["ai", true],
      ["ocr", true],
      ["parse", true],
      ["report", true],
    ]);

    // Claim to final state is at most first claim to final state, as the API records it.
    const apiSeconds = [...jobs.report, ...jobs.ai].reduce(
      (sum, job) =>
        sum + (Date.parse(job.finishedAt ?? "") - Date.parse(job.startedAt ?? "")) / 1000,
      0,
    );
    const measured = await prometheus.scalar("sum(job_duration_seconds_sum)");
    observed.jobSeconds = { measured, api: apiSeconds };
    expect(measured).toBeGreaterThan(0);
    expect(measured).toBeLessThanOrEqual(apiSeconds + 1);
  });

  test("the LongRunningJobs p90 is a real quantile; the original's form returns nothing", async () => {
    const rules = await readYaml<RuleFile>(ALERT_RULES);
    const rule = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === "LongRunningJobs");
    expect(rule).toBeDefined();
    const [p90Expr, threshold] = (rule?.expr ?? "").split(/\s*>\s*(?=\d+\s*$)/);
    expect(p90Expr).toBe(
      "histogram_quantile(0.9, sum by (le) (rate(job_duration_seconds_bucket[5m])))",
    );
    expect(threshold).toBe("30");
    const p90 = await prometheus.scalar(p90Expr ?? "");
    expect(Number.isFinite(p90)).toBe(true);

    // The 90th observation must fall in the bucket where the cumulative count crosses 90 %.
    const buckets = (
      await prometheus.query(`sum by (le) (increase(job_duration_seconds_bucket[${WHOLE_RUN}]))`)
    )
      .map((s) => ({ le: bound(s.metric.le), count: s.value }))
      .sort((a, b) => a.le - b.le);
    const total = buckets.at(-1)?.count ?? 0;
    const crossing = buckets.findIndex((b) => b.count >= 0.9 * total);
    const lower = buckets[crossing - 1]?.le ?? 0;
    const upper = buckets[crossing]?.le ?? Number.NaN;
    expect(total).toBeGreaterThan(0);
    expect(Number.isFinite(upper)).toBe(true);
    expect(p90).toBeGreaterThanOrEqual(lower);
    expect(p90).toBeLessThanOrEqual(upper);
    observed.p90 = { seconds: p90, bucket: [lower, upper] };

    const original =
      "histogram_quantile(0.9, rate(job_duration_seconds_sum[5m]) / rate(job_duration_seconds_count[5m]))";
    expect(await prometheus.query(original)).toEqual([]);
    for (const name of ["job_duration_seconds", "stage_duration_seconds", "ocr_duration_seconds"]) {
      expect(await prometheus.query(name)).toEqual([]);
    }
  });

  test("login failures and S3 errors agree with the failed calls", async () => {
    const byReason = await prometheus.query("sum by (reason) (login_failures_total)");
    const counted = Object.fromEntries(byReason.map((s) => [s.metric.reason, s.value]));
    expect(counted).toEqual({
      unknown_user: loginFailures.get("unknown_user") ?? 0,
      bad_password: loginFailures.get("bad_password") ?? 0,
      inactive: 0,
      rate_limited: loginFailures.get("rate_limited") ?? 0,
      invalid_request: loginFailures.get("invalid_request") ?? 0,
    });

    observed.loginFailures = counted;
    observed.s3 = {
      failedCalls: failedS3Calls,
      errors: await prometheus.query("sum by (operation) (s3_errors_total) > 0"),
    };
    expect(await prometheus.scalar('sum(s3_errors_total{operation="put"})')).toBe(failedS3Calls);
    expect(await prometheus.scalar("sum(s3_errors_total)")).toBeGreaterThanOrEqual(failedS3Calls);
    expect(
      await prometheus.scalar(`sum(increase(s3_errors_total[${WHOLE_RUN}]))`),
    ).toBeGreaterThanOrEqual(failedS3Calls);
  });

  test("each role's scrape after the workload passes promtool check metrics", async () => {
    for (const [role, url] of Object.entries(metricsUrls)) {
      const text = await (await fetch(url)).text();
      // The workload has filled histograms and per-route series: not the empty start.
      expect(text).toMatch(/_bucket\{[^}]*le="\+Inf"[^}]*\} [1-9]/);
      const result = await promtool(["check", "metrics"], text);
      expect({ role, output: result.output, exitCode: result.exitCode }).toEqual({
        role,
        output: "",
        exitCode: 0,
      });
    }
  });
});

describe("bun run services", () => {
  test("starts on an empty DATA_DIR with every contract series at 0, exits 0 on SIGTERM", async () => {
    const dir = tempDir("crp-services-");
    const [apiPort, metricsPort] = await Promise.all([freePort(), freePort()]);
    const services = spawnChild(
      "services",
      ["bun", "run", "services"],
      baseEnv({
        DATA_DIR: dir.path,
        API_HOST: "127.0.0.1",
        API_PORT: String(apiPort),
        METRICS_HOST: "127.0.0.1",
        METRICS_PORT: String(metricsPort),
        OCR_CONCURRENCY: "1",
        LOG_LEVEL: "warn",
      }),
    );
    try {
      await waitUntilServing(services, `http://127.0.0.1:${apiPort}/healthz`);
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(problemsAtStart(text)).toEqual([]);
      expect(await services.stop("SIGTERM")).toBe(0);
    } finally {
      await services.stop();
      dir.cleanup();
    }
  }, 60_000);
});

/** The dashboards' quantile form over the whole run: buckets of every process summed by `by`. */
function quantile(q: number, histogram: string, by: string): string {
  return `histogram_quantile(${q}, sum by (${by}) (rate(${histogram}_bucket[${WHOLE_RUN}])))`;
}
