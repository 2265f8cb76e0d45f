/** The metrics contract (DESIGN §6): every instrument's Prometheus name, type, help, labels. */

export const JOB_STATUSES = ["succeeded", "failed", "canceled"] as const;
export const STAGE_TYPES = ["ocr", "ai", "parse", "report"] as const;
export const STAGE_STATUSES = ["succeeded", "failed"] as const;
export const OCR_ENGINES = ["tesseract.js", "tesseract", "external"] as const;
export const AI_OCR_SERVICES = ["ai", "ocr"] as const;
export const S3_OPERATIONS = [
  "put",
  "get",
  "head",
  "delete",
  "list",
  "presign",
  "create_bucket",
] as const;
export const LOGIN_FAILURE_REASONS = [
  "unknown_user",
  "bad_password",
  "inactive",
  "rate_limited",
  "invalid_request",
] as const;
export const RETRY_REASONS = ["lease_expired", "stage_error"] as const;

export type JobFinalStatus = (typeof JOB_STATUSES)[number];
export type StageType = (typeof STAGE_TYPES)[number];
export type StageStatus = (typeof STAGE_STATUSES)[number];
export type OcrEngine = (typeof OCR_ENGINES)[number];
export type AiOcrService = (typeof AI_OCR_SERVICES)[number];
export type S3Operation = (typeof S3_OPERATIONS)[number];
export type LoginFailureReason = (typeof LOGIN_FAILURE_REASONS)[number];
export type RetryReason = (typeof RETRY_REASONS)[number];

export type MetricType = "counter" | "histogram" | "gauge";

export interface MetricSpec {
  name: string;
  type: MetricType;
  help: string;
  /** Label names; values listed here are pre-initialised to 0 on counters. */
  labels: Record<string, readonly string[] | "bounded">;
  buckets?: readonly number[];
}

// Seconds. Job buckets straddle the 30 s LongRunningJobs threshold with bounds above it.
const JOB_BUCKETS = [0.5, 1, 2.5, 5, 10, 20, 30, 45, 60, 120, 300, 600, 1800] as const;
const STAGE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] as const;
const OCR_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60] as const;
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;
const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600] as const;

export const CATALOGUE = [
  {
    name: "jobs_total",
    type: "counter",
    help: "Jobs that reached a final state, by status.",
    labels: { status: JOB_STATUSES },
  },
  {
    name: "job_duration_seconds",
    type: "histogram",
    help: "Time from a job's claim to its final state, in seconds.",
    labels: { status: JOB_STATUSES },
    buckets: JOB_BUCKETS,
  },
  {
    name: "stage_duration_seconds",
    type: "histogram",
    help: "Time one pipeline stage run took, in seconds.",
    labels: { stage: STAGE_TYPES, status: STAGE_STATUSES },
    buckets: STAGE_BUCKETS,
  },
  {
    name: "ocr_duration_seconds",
    type: "histogram",
    help: "Time one OCR call (one page or image) took, in seconds.",
    labels: { engine: OCR_ENGINES },
    buckets: OCR_BUCKETS,
  },
  {
    name: "ai_ocr_errors_total",
    type: "counter",
    help: "Failed AI or OCR call attempts, retries included.",
    labels: { service: AI_OCR_SERVICES },
  },
  {
    name: "s3_errors_total",
    type: "counter",
    help: "Failed S3 calls, by operation.",
    labels: { operation: S3_OPERATIONS },
  },
  {
    name: "login_failures_total",
    type: "counter",
    help: "Failed login attempts, by reason.",
    labels: { reason: LOGIN_FAILURE_REASONS },
  },
  {
    name: "rate_limit_fallback_total",
    type: "counter",
    help: "Rate-limit checks answered by the fallback because Redis failed.",
    labels: {},
  },
  {
    name: "http_requests_total",
    type: "counter",
    help: "HTTP requests served, by method, route template and status code.",
    labels: { method: "bounded", route: "bounded", status: "bounded" },
  },
  {
    name: "http_request_duration_seconds",
    type: "histogram",
    help: "HTTP request latency by method and route template, in seconds.",
    labels: { method: "bounded", route: "bounded" },
    buckets: HTTP_BUCKETS,
  },
  {
    name: "running_jobs",
    type: "gauge",
    help: "Jobs running now in this process.",
    labels: {},
  },
  {
    name: "queued_jobs",
    type: "gauge",
    help: "Jobs waiting in the queue (sampled by workers).",
    labels: {},
  },
  {
    name: "job_queue_wait_seconds",
    type: "histogram",
    help: "Time a job waited from queued to claimed, in seconds.",
    labels: {},
    buckets: WAIT_BUCKETS,
  },
  {
    name: "job_retries_total",
    type: "counter",
    help: "Jobs put back in the queue, by reason.",
    labels: { reason: RETRY_REASONS },
  },
  {
    name: "worker_shutdowns_total",
    type: "counter",
    help: "Worker stops (signal or idle exit).",
    labels: {},
  },
] as const satisfies readonly MetricSpec[];

export type MetricName = (typeof CATALOGUE)[number]["name"];

/** Every combination of a spec's enumerated label values; none for route-labelled metrics. */
export function labelCombinations(spec: MetricSpec): Record<string, string>[] {
  let combos: Record<string, string>[] = [{}];
  for (const [label, values] of Object.entries(spec.labels)) {
    if (values === "bounded") return [];
    combos = combos.flatMap((combo) => values.map((value) => ({ ...combo, [label]: value })));
  }
  return combos;
}

export function specOf(name: MetricName): MetricSpec {
  const spec = CATALOGUE.find((s) => s.name === name);
  if (!spec) throw new Error(`unknown metric ${name}`);
  return spec;
}
