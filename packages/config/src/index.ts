/** Reads and validates the environment once; a bad value stops start-up naming the variable. */

import { type Config, ConfigError, type Setting, settings } from "./schema.ts";

export { type Config, ConfigError, settings } from "./schema.ts";

export type Env = Record<string, string | undefined>;

/** Parses every setting; collects all problems so one start-up shows every mistake at once. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const config: Record<string, unknown> = {};

  for (const [key, s] of Object.entries(settings) as [string, Setting<unknown>][]) {
    const raw = env[s.env];
    if (raw === undefined || raw === "") {
      config[key] = s.default;
      continue;
    }
    try {
      config[key] = s.parse(raw, s.env);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }

  // Cross-checks read parsed values, so they run only once every value parsed.
  if (problems.length === 0) problems.push(...crossChecks(config as Config));
  if (problems.length > 0) throw new ConfigError(problems);
  return config as Config;
}

function crossChecks(config: Config): string[] {
  const problems: string[] = [];
  if (config.nodeEnv === "production" && !config.jwtSecret) {
    problems.push("JWT_SECRET is required when NODE_ENV=production (at least 32 bytes)");
  }
  if (Boolean(config.upstashUrl) !== Boolean(config.upstashToken)) {
    problems.push("UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN must be set together");
  }
  if (Boolean(config.awsAccessKeyId) !== Boolean(config.awsSecretAccessKey)) {
    problems.push("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together");
  }
  const admin = [config.adminEmail, config.adminPassword].filter(Boolean).length;
  if (admin === 1) problems.push("ADMIN_EMAIL and ADMIN_PASSWORD must be set together");
  if (config.metricsExporters.includes("none") && config.metricsExporters.length > 1) {
    problems.push("OTEL_METRICS_EXPORTER=none cannot be combined with other exporters");
  }
  return problems;
}

/**
 * For entry points: load the config or print the problems and exit non-zero. Libraries and
 * tests call `loadConfig` and handle the error themselves.
 */
export function loadConfigOrExit(env: Env = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(78);
  }
}

/** The database URL in effect: the configured one or the SQLite file under DATA_DIR. */
export function databaseUrl(config: Config): string {
  return config.databaseUrl ?? `sqlite://${config.dataDir.replace(/\/$/, "")}/crpipeline.sqlite`;
}
export { configMarkdownTable } from "./docs.ts";
