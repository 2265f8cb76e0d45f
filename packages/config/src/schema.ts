/** Every environment variable crPipeline reads: name, meaning, default and how it is parsed. */

import { availableParallelism } from "node:os";
import { csv, host, int, minBytes, oneOf, optional, type Setting, str, url } from "./parsers.ts";

export { ConfigError, type Setting } from "./parsers.ts";

const setting = <T>(s: Setting<T>) => s;

const MiB = 1024 * 1024;

export const settings = {
  nodeEnv: setting({
    env: "NODE_ENV",
    doc: "`production` makes JWT_SECRET required and cookies Secure",
    default: "development" as string,
    parse: str,
  }),
  dataDir: setting({
    env: "DATA_DIR",
    doc: "SQLite file, embedded S3 files and the generated JWT secret",
    default: "./data",
    parse: str,
  }),
  apiHost: setting({ env: "API_HOST", doc: "API listen address", default: "0.0.0.0", parse: host }),
  apiPort: setting({
    env: "API_PORT",
    doc: "API listen port",
    default: 8080,
    parse: int(0, 65535),
  }),
  metricsHost: setting({
    env: "METRICS_HOST",
    doc: "Prometheus /metrics listen address",
    default: "0.0.0.0",
    parse: host,
  }),
  metricsPort: setting({
    env: "METRICS_PORT",
    doc: "Prometheus /metrics listen port",
    default: 9100,
    parse: int(0, 65535),
  }),
  trustProxyHops: setting({
    env: "TRUST_PROXY_HOPS",
    doc: "reverse proxies in front of the API that append to X-Forwarded-For; 0 trusts none",
    default: 0,
    parse: int(0, 10),
  }),
  databaseUrl: setting({
    env: "DATABASE_URL",
    doc: "`postgres://…` for Postgres; unset for SQLite under DATA_DIR",
    default: undefined as string | undefined,
    defaultDoc: "SQLite `DATA_DIR/crpipeline.sqlite`",
    parse: optional(url(["postgres", "postgresql", "sqlite", "file"])),
    secret: true,
  }),
  s3Endpoint: setting({
    env: "S3_ENDPOINT",
    doc: "S3-compatible endpoint (MinIO, AWS S3); unset starts the embedded S3 server",
    default: undefined as string | undefined,
    defaultDoc: "embedded S3 on loopback",
    parse: optional(url(["http", "https"])),
  }),
  s3Bucket: setting({ env: "S3_BUCKET", doc: "bucket name", default: "crpipeline", parse: str }),
  s3Region: setting({ env: "S3_REGION", doc: "S3 region", default: "us-east-1", parse: str }),
  awsAccessKeyId: setting({
    env: "AWS_ACCESS_KEY_ID",
    doc: "S3 access key",
    default: undefined as string | undefined,
    parse: optional(str),
  }),
  awsSecretAccessKey: setting({
    env: "AWS_SECRET_ACCESS_KEY",
    doc: "S3 secret key",
    default: undefined as string | undefined,
    parse: optional(str),
    secret: true,
  }),
  redisUrl: setting({
    env: "REDIS_URL",
    doc: "`redis://…` for a shared rate limiter",
    default: undefined as string | undefined,
    defaultDoc: "in-process limiter",
    parse: optional(url(["redis", "rediss"])),
    secret: true,
  }),
  upstashUrl: setting({
    env: "UPSTASH_REDIS_REST_URL",
    doc: "Upstash REST endpoint (instead of REDIS_URL)",
    default: undefined as string | undefined,
    parse: optional(url(["http", "https"])),
  }),
  upstashToken: setting({
    env: "UPSTASH_REDIS_REST_TOKEN",
    doc: "Upstash REST token",
    default: undefined as string | undefined,
    parse: optional(str),
    secret: true,
  }),
  rateLimitFallback: setting({
    env: "RATE_LIMIT_FALLBACK",
    doc: "what answers when Redis fails: `memory`, `deny` or `allow`",
    default: "memory" as "memory" | "deny" | "allow",
    parse: oneOf(["memory", "deny", "allow"] as const),
  }),
  jwtSecret: setting({
    env: "JWT_SECRET",
    doc: "HS256 signing secret, at least 32 bytes; required in production",
    default: undefined as string | undefined,
    defaultDoc: "generated once under DATA_DIR (outside production)",
    parse: optional(minBytes(32)),
    secret: true,
  }),
  secretsKey: setting({
    env: "SECRETS_KEY",
    doc:
      "seals organisations' stored AI and OCR keys, at least 32 bytes; " +
      "every API and worker needs the same",
    default: undefined as string | undefined,
    defaultDoc: "derived from JWT_SECRET (or its generated file)",
    parse: optional(minBytes(32)),
    secret: true,
  }),
  adminEmail: setting({
    env: "ADMIN_EMAIL",
    doc: "first admin's e-mail; created on first start when set",
    default: undefined as string | undefined,
    parse: optional(str),
  }),
  adminPassword: setting({
    env: "ADMIN_PASSWORD",
    doc: "first admin's password (at least 8 characters)",
    default: undefined as string | undefined,
    parse: optional(minBytes(8)),
    secret: true,
  }),
  adminOrg: setting({
    env: "ADMIN_ORG",
    doc: "first admin's organisation name",
    default: undefined as string | undefined,
    parse: optional(str),
  }),
  aiApiUrl: setting({
    env: "AI_API_URL",
    doc: "OpenAI-compatible base URL (…/v1); unset makes AI stages fail clearly",
    default: undefined as string | undefined,
    parse: optional(url(["http", "https"])),
  }),
  aiApiKey: setting({
    env: "AI_API_KEY",
    doc: "AI endpoint key",
    default: undefined as string | undefined,
    parse: optional(str),
    secret: true,
  }),
  aiModel: setting({ env: "AI_MODEL", doc: "default model", default: "gpt-4o-mini", parse: str }),
  ocrConcurrency: setting({
    env: "OCR_CONCURRENCY",
    doc: "tesseract.js workers in the pool",
    default: availableParallelism(),
    defaultDoc: "number of cores",
    parse: int(1, 64),
  }),
  workerConcurrency: setting({
    env: "WORKER_CONCURRENCY",
    doc: "jobs one worker runs at once",
    default: 2,
    parse: int(1, 256),
  }),
  workerIdleExitSeconds: setting({
    env: "WORKER_IDLE_EXIT_SECONDS",
    doc: "`bun run worker` exits (status 0) after this long with nothing to run; 0 never does",
    default: 0,
    parse: int(0, 7 * 24 * 3600),
  }),
  jobLeaseSeconds: setting({
    env: "JOB_LEASE_SECONDS",
    doc: "how long a claim lasts without renewal",
    default: 30,
    parse: int(2, 3600),
  }),
  jobMaxAttempts: setting({
    env: "JOB_MAX_ATTEMPTS",
    doc: "claims of one job before it fails",
    default: 3,
    parse: int(1, 100),
  }),
  maxUploadBytes: setting({
    env: "MAX_UPLOAD_BYTES",
    doc: "largest accepted upload",
    default: 50 * MiB,
    defaultDoc: "52428800 (50 MiB)",
    parse: int(1, 10 * 1024 * MiB),
  }),
  logLevel: setting({
    env: "LOG_LEVEL",
    doc: "`debug`, `info`, `warn`, `error` or `silent`",
    default: "info" as "debug" | "info" | "warn" | "error" | "silent",
    parse: oneOf(["debug", "info", "warn", "error", "silent"] as const),
  }),
  metricsExporters: setting({
    env: "OTEL_METRICS_EXPORTER",
    doc: "comma list of `prometheus`, `otlp`, `none`",
    default: ["prometheus"] as ("prometheus" | "otlp" | "none")[],
    defaultDoc: "prometheus",
    parse: csv(["prometheus", "otlp", "none"] as const),
  }),
  otlpProtocol: setting({
    env: "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
    doc: "`http/protobuf` or `http/json` (falls back to OTEL_EXPORTER_OTLP_PROTOCOL)",
    default: undefined as "http/protobuf" | "http/json" | undefined,
    defaultDoc: "http/protobuf",
    parse: optional(oneOf(["http/protobuf", "http/json"] as const)),
  }),
  otlpProtocolGeneric: setting({
    env: "OTEL_EXPORTER_OTLP_PROTOCOL",
    doc: "OTLP protocol for every signal",
    default: undefined as "http/protobuf" | "http/json" | undefined,
    defaultDoc: "http/protobuf",
    parse: optional(oneOf(["http/protobuf", "http/json"] as const)),
  }),
  otlpEndpoint: setting({
    env: "OTEL_EXPORTER_OTLP_ENDPOINT",
    doc: "OTLP base URL; `/v1/metrics` is appended",
    default: undefined as string | undefined,
    defaultDoc: "http://localhost:4318",
    parse: optional(url(["http", "https"])),
  }),
  otlpMetricsEndpoint: setting({
    env: "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    doc: "full OTLP metrics URL (overrides the base URL)",
    default: undefined as string | undefined,
    parse: optional(url(["http", "https"])),
  }),
  otlpInterval: setting({
    env: "OTEL_METRIC_EXPORT_INTERVAL",
    doc: "milliseconds between OTLP pushes",
    default: 60000,
    parse: int(100, 3_600_000),
  }),
  serviceName: setting({
    env: "OTEL_SERVICE_NAME",
    doc: "service.name resource attribute",
    default: "crpipeline",
    parse: str,
  }),
} as const;

export type Settings = typeof settings;
export type Config = { [K in keyof Settings]: Settings[K]["default"] };
