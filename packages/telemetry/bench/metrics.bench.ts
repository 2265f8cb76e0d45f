/**
 * Cost of the metrics layer: ns per recording call and /metrics render time, against prom-client.
 */

import client from "prom-client";
import { createTestTelemetry } from "../src/index.ts";

export interface MetricsBench {
  /** Nanoseconds per `metrics.httpRequest` (one counter add + one histogram record). */
  otelHttpRequestNs: number;
  promClientHttpRequestNs: number;
  /** Nanoseconds per `s3Error` (one counter add with a bounded label). */
  otelCounterNs: number;
  promClientCounterNs: number;
  /** Milliseconds to render /metrics with ~1,000 HTTP series (500 routes × counter + histogram). */
  otelRenderMs: number;
  promClientRenderMs: number;
  series: number;
}

const nsPer = (iterations: number, fn: (i: number) => void) => {
  for (let i = 0; i < 10_000; i++) fn(i); // warm-up
  const start = Bun.nanoseconds();
  for (let i = 0; i < iterations; i++) fn(i);
  return (Bun.nanoseconds() - start) / iterations;
};

async function msPer(rounds: number, fn: () => Promise<unknown>) {
  await fn();
  const start = performance.now();
  for (let i = 0; i < rounds; i++) await fn();
  return (performance.now() - start) / rounds;
}

export async function benchMetrics(iterations = 200_000): Promise<MetricsBench> {
  const routes = Array.from({ length: 500 }, (_, i) => `/api/route-${i}/:id`);

  const telemetry = createTestTelemetry();
  const m = telemetry.metrics;
  const otelHttpRequestNs = nsPer(iterations, (i) =>
    m.httpRequest("GET", routes[i % 20] ?? "", 200, 0.012),
  );
  const otelCounterNs = nsPer(iterations, () => m.s3Error("put"));
  for (const route of routes) m.httpRequest("GET", route, 200, 0.01);
  const otelRenderMs = await msPer(20, () => telemetry.scrape());
  await telemetry.shutdown();

  const registry = new client.Registry();
  const requests = new client.Counter({
    name: "http_requests_total",
    help: "requests",
    labelNames: ["method", "route", "status"],
    registers: [registry],
  });
  const latency = new client.Histogram({
    name: "http_request_duration_seconds",
    help: "latency",
    labelNames: ["method", "route"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const s3 = new client.Counter({
    name: "s3_errors_total",
    help: "s3",
    labelNames: ["operation"],
    registers: [registry],
  });
  const promClientHttpRequestNs = nsPer(iterations, (i) => {
    const route = routes[i % 20] ?? "";
    requests.inc({ method: "GET", route, status: "200" });
    latency.observe({ method: "GET", route }, 0.012);
  });
  const promClientCounterNs = nsPer(iterations, () => s3.inc({ operation: "put" }));
  for (const route of routes) {
    requests.inc({ method: "GET", route, status: "200" });
    latency.observe({ method: "GET", route }, 0.01);
  }
  const promClientRenderMs = await msPer(20, () => registry.metrics());

  return {
    otelHttpRequestNs,
    promClientHttpRequestNs,
    otelCounterNs,
    promClientCounterNs,
    otelRenderMs,
    promClientRenderMs,
    series: routes.length * 2,
  };
}

if (import.meta.main) console.log(await benchMetrics());
