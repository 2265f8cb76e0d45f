/** Typed recording helpers over the contract instruments: callers cannot invent label values. */

import type { Counter, Gauge, Histogram, Meter, UpDownCounter } from "@opentelemetry/api";
import {
  type AiOcrService,
  CATALOGUE,
  type JobFinalStatus,
  type LoginFailureReason,
  labelCombinations,
  type MetricName,
  type MetricSpec,
  type OcrEngine,
  type RetryReason,
  type S3Operation,
  type StageStatus,
  type StageType,
} from "./catalogue.ts";
import type { HistogramZeros } from "./histogram-zeros.ts";

export interface Metrics {
  jobFinished(status: JobFinalStatus, seconds: number): void;
  /** A job canceled while still queued: counted in `jobs_total`, with no claim-to-end duration. */
  jobCanceledInQueue(): void;
  stageFinished(stage: StageType, status: StageStatus, seconds: number): void;
  ocrCall(engine: OcrEngine, seconds: number): void;
  aiOcrError(service: AiOcrService): void;
  s3Error(operation: S3Operation): void;
  loginFailure(reason: LoginFailureReason): void;
  rateLimitFallback(): void;
  /** `route` must be the route template (`/api/jobs/:id`), never the raw path. */
  httpRequest(method: string, route: string, status: number, seconds: number): void;
  /**
   * Pre-initialises `http_requests_total{method,route,status="200"}` to 0 for each route the
   * server serves, so every route shows on the dashboard (at rate 0) from the first scrape.
   */
  declareRoutes(routes: readonly { method: string; route: string }[]): void;
  /** `running_jobs` goes up by one; call `jobStopped` exactly once for each. */
  jobStarted(): void;
  jobStopped(): void;
  setQueuedJobs(count: number): void;
  queueWait(seconds: number): void;
  jobRetried(reason: RetryReason): void;
  workerShutdown(): void;
}

const HTTP_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

const normaliseMethod = (method: string) =>
  HTTP_METHODS.has(method.toUpperCase()) ? method.toUpperCase() : "OTHER";

type Instrument = Counter | Histogram | UpDownCounter | Gauge;

function create(meter: Meter, spec: MetricSpec): Instrument {
  const options = { description: spec.help };
  if (spec.type === "counter") return meter.createCounter(spec.name, options);
  if (spec.type === "histogram") {
    return meter.createHistogram(spec.name, {
      ...options,
      unit: "s",
      advice: { explicitBucketBoundaries: [...(spec.buckets ?? [])] },
    });
  }
  // running_jobs moves by +1/-1 from many places; queued_jobs is a sampled absolute value.
  return spec.name === "queued_jobs"
    ? meter.createGauge(spec.name, options)
    : meter.createUpDownCounter(spec.name, options);
}

/**
 * @param zeros receives the HTTP routes `declareRoutes` announces, so their latency histograms
 *   can be served at zero too (see histogram-zeros.ts).
 */
export function createMetrics(meter: Meter, zeros?: HistogramZeros): Metrics {
  const instruments = new Map<MetricName, Instrument>();
  for (const spec of CATALOGUE) {
    const instrument = create(meter, spec);
    instruments.set(spec.name, instrument);
    // Counters and gauges start at 0 so increase() sees the first event; a histogram cannot be
    // pre-initialised without recording a fake observation.
    if (spec.type === "histogram") continue;
    for (const attributes of labelCombinations(spec)) {
      if ("add" in instrument) instrument.add(0, attributes);
      else instrument.record(0, attributes);
    }
  }

  const counter = (name: MetricName) => instruments.get(name) as Counter;
  const histogram = (name: MetricName) => instruments.get(name) as Histogram;
  const running = instruments.get("running_jobs") as UpDownCounter;
  const queued = instruments.get("queued_jobs") as Gauge;

  return {
    jobFinished: (status, seconds) => {
      counter("jobs_total").add(1, { status });
      histogram("job_duration_seconds").record(seconds, { status });
    },
    jobCanceledInQueue: () => counter("jobs_total").add(1, { status: "canceled" }),
    stageFinished: (stage, status, seconds) =>
      histogram("stage_duration_seconds").record(seconds, { stage, status }),
    ocrCall: (engine, seconds) => histogram("ocr_duration_seconds").record(seconds, { engine }),
    aiOcrError: (service) => counter("ai_ocr_errors_total").add(1, { service }),
    s3Error: (operation) => counter("s3_errors_total").add(1, { operation }),
    loginFailure: (reason) => counter("login_failures_total").add(1, { reason }),
    rateLimitFallback: () => counter("rate_limit_fallback_total").add(1),
    httpRequest: (method, route, status, seconds) => {
      const m = normaliseMethod(method);
      counter("http_requests_total").add(1, { method: m, route, status: String(status) });
      histogram("http_request_duration_seconds").record(seconds, { method: m, route });
    },
    declareRoutes: (routes) => {
      for (const { method, route } of routes) {
        zeros?.add("http_request_duration_seconds", { method: normaliseMethod(method), route });
        counter("http_requests_total").add(0, {
          method: normaliseMethod(method),
          route,
          status: "200",
        });
      }
    },
    jobStarted: () => running.add(1),
    jobStopped: () => running.add(-1),
    setQueuedJobs: (count) => queued.record(count),
    queueWait: (seconds) => histogram("job_queue_wait_seconds").record(Math.max(0, seconds)),
    jobRetried: (reason) => counter("job_retries_total").add(1, { reason }),
    workerShutdown: () => counter("worker_shutdowns_total").add(1),
  };
}
