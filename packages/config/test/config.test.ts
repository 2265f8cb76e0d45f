/** Start-up configuration: defaults, parsing, and refusals that name the variable. */

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ConfigError, databaseUrl, loadConfig, settings } from "../src/index.ts";

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("defaults", () => {
  const config = loadConfig({});

  test("match the documented embedded defaults", () => {
    expect(config.dataDir).toBe("./data");
    expect([config.apiHost, config.apiPort]).toEqual(["0.0.0.0", 8080]);
    expect([config.metricsHost, config.metricsPort]).toEqual(["0.0.0.0", 9100]);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.s3Endpoint).toBeUndefined();
    expect(config.rateLimitFallback).toBe("memory");
    expect(config.workerConcurrency).toBe(2);
    expect([config.jobLeaseSeconds, config.jobMaxAttempts]).toEqual([30, 3]);
    expect(config.maxUploadBytes).toBe(50 * 1024 * 1024);
    expect(config.metricsExporters).toEqual(["prometheus"]);
    expect(config.ocrConcurrency).toBeGreaterThanOrEqual(1);
  });

  test("the database is a SQLite file under DATA_DIR unless DATABASE_URL is set", () => {
    expect(databaseUrl(loadConfig({ DATA_DIR: "/srv/crp/" }))).toBe(
      "sqlite:///srv/crp/crpipeline.sqlite",
    );
    const pg = "postgres://u@db:5432/crp";
    expect(databaseUrl(loadConfig({ DATABASE_URL: pg }))).toBe(pg);
  });

  test("every setting has a unique environment name and a doc line", () => {
    const names = Object.values(settings).map((s) => s.env);
    expect(new Set(names).size).toBe(names.length);
    for (const s of Object.values(settings)) expect(s.doc.length).toBeGreaterThan(5);
  });
});

describe("bad values stop start-up naming the variable and what is allowed", () => {
  const cases: [Record<string, string>, string][] = [
    [{ API_PORT: "eighty" }, "API_PORT must be an integer from 0 to 65535"],
    [{ METRICS_PORT: "70000" }, "METRICS_PORT must be an integer from 0 to 65535"],
    [{ WORKER_CONCURRENCY: "0" }, "WORKER_CONCURRENCY must be an integer from 1"],
    [{ RATE_LIMIT_FALLBACK: "maybe" }, "RATE_LIMIT_FALLBACK must be one of memory, deny, allow"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL must be one of debug, info, warn, error, silent"],
    [{ DATABASE_URL: "mysql://x/y" }, "DATABASE_URL must be a URL with scheme postgres"],
    [{ S3_ENDPOINT: "not a url" }, "S3_ENDPOINT must be a URL"],
    [{ REDIS_URL: "http://x" }, "REDIS_URL must be a URL with scheme redis or rediss"],
    [{ JWT_SECRET: "short" }, "JWT_SECRET must be at least 32 bytes long"],
    [{ OTEL_METRICS_EXPORTER: "prometheus,zipkin" }, "OTEL_METRICS_EXPORTER must be one of"],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }, "OTEL_EXPORTER_OTLP_PROTOCOL must be one of"],
    [{ NODE_ENV: "production" }, "JWT_SECRET is required when NODE_ENV=production"],
    [{ UPSTASH_REDIS_REST_URL: "https://x.example" }, "must be set together"],
    [{ ADMIN_EMAIL: "a@b.c" }, "ADMIN_EMAIL and ADMIN_PASSWORD must be set together"],
    [{ OTEL_METRICS_EXPORTER: "none,otlp" }, "cannot be combined"],
  ];

  for (const [env, message] of cases) {
    test(`${Object.keys(env).join(",")}=${Object.values(env).join(",")}`, () => {
      const problems = problemsOf(env);
      expect(problems.some((p) => p.includes(message))).toBe(true);
    });
  }

  test("all problems are reported at once", () => {
    expect(problemsOf({ API_PORT: "x", LOG_LEVEL: "y", JOB_MAX_ATTEMPTS: "-1" })).toHaveLength(3);
  });

  test("a secret's value is never echoed in the message", () => {
    const problems = problemsOf({ JWT_SECRET: "hunter2-is-my-password" });
    expect(problems.join(" ")).not.toContain("hunter2");
  });

  test("an entry point exits with status 78 and prints the problem", async () => {
    const child = Bun.spawn(
      [
        "bun",
        "-e",
        `import { loadConfigOrExit } from "${join(import.meta.dir, "../src/index.ts")}"; loadConfigOrExit();`,
      ],
      { env: { ...process.env, API_PORT: "http" }, stderr: "pipe", stdout: "pipe" },
    );
    expect(await child.exited).toBe(78);
    expect(await new Response(child.stderr).text()).toContain("API_PORT must be an integer");
  });
});
