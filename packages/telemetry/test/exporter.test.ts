/** The Prometheus endpoint as Prometheus sees it: names, types, labels, buckets and zeros. */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadConfig } from "@crpipeline/config";
import { freePort } from "@crpipeline/testing";
import {
  CATALOGUE,
  createTelemetry,
  labelCombinations,
  parseSamples,
  type Telemetry,
} from "../src/index.ts";

let telemetry: Telemetry;
let text: string;
let contentType: string | null;

beforeAll(async () => {
  const port = await freePort();
  const config = loadConfig({ METRICS_HOST: "127.0.0.1", METRICS_PORT: String(port) });
  telemetry = createTelemetry(config);
  telemetry.metrics.declareRoutes([{ method: "get", route: "/api/jobs" }]);
  telemetry.listen();
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  contentType = response.headers.get("content-type");
  text = await response.text();
});

afterAll(() => telemetry.shutdown());

const typeLine = (name: string) => text.split("\n").find((l) => l.startsWith(`# TYPE ${name} `));
const helpLine = (name: string) => text.split("\n").find((l) => l.startsWith(`# HELP ${name} `));

describe("GET /metrics", () => {
  test("answers Prometheus text format", () => {
    expect(contentType).toContain("text/plain");
    expect(contentType).toContain("version=0.0.4");
  });

  test("has no otel_scope labels and no target_info", () => {
    expect(text).not.toContain("otel_scope_");
    expect(text).not.toContain("target_info");
  });

  test("declares every contract counter and gauge with its exact name, type and help", () => {
    for (const spec of CATALOGUE) {
      if (spec.type === "histogram") continue;
      expect(typeLine(spec.name)).toBe(`# TYPE ${spec.name} ${spec.type}`);
      expect(helpLine(spec.name)).toBe(`# HELP ${spec.name} ${spec.help}`);
    }
  });

  test("declares every histogram with its exact name, help and the unit s", () => {
    const unitLine = (name: string) =>
      text.split("\n").find((l) => l.startsWith(`# UNIT ${name} `));
    for (const spec of CATALOGUE) {
      if (spec.type !== "histogram") continue;
      expect(typeLine(spec.name)).toBe(`# TYPE ${spec.name} histogram`);
      expect(helpLine(spec.name)).toBe(`# HELP ${spec.name} ${spec.help}`);
      expect(unitLine(spec.name)).toBe(`# UNIT ${spec.name} s`);
    }
  });

  test("pre-initialises every listed label value of counters and gauges to 0", () => {
    const samples = parseSamples(text);
    for (const spec of CATALOGUE) {
      if (spec.type === "histogram") continue;
      const enumerated = Object.entries(spec.labels).filter(([, v]) => v !== "bounded");
      if (enumerated.length !== Object.keys(spec.labels).length) continue;
      const series = samples.filter((s) => s.name === spec.name);
      const expected = enumerated.reduce((n, [, values]) => n * values.length, 1);
      expect({ name: spec.name, count: series.length }).toEqual({
        name: spec.name,
        count: expected,
      });
      for (const s of series) expect(s.value).toBe(0);
      for (const [label, values] of enumerated) {
        expect(new Set(series.map((s) => s.labels[label]))).toEqual(new Set(values as string[]));
      }
    }
  });

  test("serves every histogram label set at zero before its first observation", () => {
    const samples = parseSamples(text);
    for (const spec of CATALOGUE) {
      if (spec.type !== "histogram") continue;
      const counts = samples.filter((s) => s.name === `${spec.name}_count`);
      const expected =
        spec.name === "http_request_duration_seconds"
          ? [{ method: "GET", route: "/api/jobs" }]
          : labelCombinations(spec).length > 0
            ? labelCombinations(spec)
            : [{}];
      expect(counts.map((s) => s.labels)).toEqual(expected);
      for (const s of counts) expect(s.value).toBe(0);
      const infBuckets = samples.filter(
        (s) => s.name === `${spec.name}_bucket` && s.labels.le === "+Inf",
      );
      expect(infBuckets.every((s) => s.value === 0)).toBe(true);
      expect(infBuckets).toHaveLength(expected.length);
    }
  });

  test("declared routes start at 0 so http_requests_total exists before any request", () => {
    const series = parseSamples(text).filter((s) => s.name === "http_requests_total");
    expect(series).toEqual([
      {
        name: "http_requests_total",
        labels: { method: "GET", route: "/api/jobs", status: "200" },
        value: 0,
      },
    ]);
  });

  test("answers 404 off /metrics", async () => {
    const response = await fetch(`http://127.0.0.1:${telemetry.port}/other`);
    expect(response.status).toBe(404);
  });
});

describe("histograms after one observation each", () => {
  let scraped: string;

  beforeAll(async () => {
    const m = telemetry.metrics;
    m.jobFinished("succeeded", 42);
    m.stageFinished("ocr", "succeeded", 1.2);
    m.ocrCall("tesseract.js", 0.8);
    m.httpRequest("get", "/api/jobs/:id", 200, 0.03);
    m.queueWait(2);
    scraped = await telemetry.scrape();
  });

  test("have type histogram, seconds unit, no unit suffix appended, and the catalogue buckets", () => {
    for (const spec of CATALOGUE) {
      if (spec.type !== "histogram") continue;
      expect(scraped).toContain(`# TYPE ${spec.name} histogram`);
      expect(scraped).not.toContain(`${spec.name}_seconds_bucket`);
      const les = parseSamples(scraped)
        .filter((s) => s.name === `${spec.name}_bucket`)
        .map((s) => s.labels.le);
      const bounds = [...new Set(les)];
      expect(bounds).toEqual([...(spec.buckets ?? []).map(String), "+Inf"]);
    }
  });

  test("job_duration_seconds has a 30 s bound and bounds above it", () => {
    const job = CATALOGUE.find((s) => s.name === "job_duration_seconds");
    expect(job?.buckets).toContain(30);
    expect((job?.buckets ?? []).filter((b) => b > 30).length).toBeGreaterThanOrEqual(2);
  });

  test("a 42 s job lands above the 30 s bucket", () => {
    const buckets = parseSamples(scraped).filter(
      (s) => s.name === "job_duration_seconds_bucket" && s.labels.status === "succeeded",
    );
    expect(buckets.find((s) => s.labels.le === "30")?.value).toBe(0);
    expect(buckets.find((s) => s.labels.le === "45")?.value).toBe(1);
  });

  test("label sets are exactly the contract's", () => {
    const samples = parseSamples(scraped);
    for (const spec of CATALOGUE) {
      const names = [spec.name, `${spec.name}_bucket`, `${spec.name}_sum`, `${spec.name}_count`];
      for (const s of samples.filter((x) => names.includes(x.name))) {
        const labels = Object.keys(s.labels).filter((l) => l !== "le");
        expect(labels.sort()).toEqual(Object.keys(spec.labels).sort());
      }
    }
  });

  test("HTTP methods outside the standard set collapse to OTHER", async () => {
    telemetry.metrics.httpRequest("BREW", "/api/coffee", 418, 0.001);
    const after = await telemetry.scrape();
    expect(after).toContain('method="OTHER",route="/api/coffee",status="418"');
    expect(after).not.toContain("BREW");
  });
});
