/** OTLP push from the same MeterProvider: both encodings reach a receiver with the same names. */

import { afterEach, describe, expect, test } from "bun:test";
import { loadConfig } from "@crpipeline/config";
import { freePort, waitFor } from "@crpipeline/testing";
import { CATALOGUE, createTelemetry, type Telemetry } from "../src/index.ts";
import { metricNamesFromProtobuf } from "./otlp-decode.ts";

interface Received {
  contentType: string;
  names: string[];
  body: string;
}

type JsonExport = {
  resourceMetrics?: { scopeMetrics?: { metrics?: { name: string }[] }[] }[];
};

function startReceiver() {
  const received: Received[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      if (new URL(request.url).pathname !== "/v1/metrics") return new Response("", { status: 404 });
      const contentType = request.headers.get("content-type") ?? "";
      const bytes = new Uint8Array(await request.arrayBuffer());
      const body = new TextDecoder().decode(bytes);
      const names = contentType.includes("json")
        ? ((JSON.parse(body) as JsonExport).resourceMetrics ?? []).flatMap((rm) =>
            (rm.scopeMetrics ?? []).flatMap((sm) => (sm.metrics ?? []).map((m) => m.name)),
          )
        : metricNamesFromProtobuf(bytes);
      received.push({ contentType, names, body });
      return new Response(contentType.includes("json") ? "{}" : new Uint8Array(), {
        headers: { "content-type": contentType },
      });
    },
  });
  return { received, server, endpoint: `http://127.0.0.1:${server.port}` };
}

const contractNames = CATALOGUE.map((s) => s.name).sort();
let cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function telemetryWith(env: Record<string, string>): Promise<Telemetry> {
  const telemetry = createTelemetry(
    loadConfig({ METRICS_HOST: "127.0.0.1", METRICS_PORT: String(await freePort()), ...env }),
  );
  cleanups.push(() => telemetry.shutdown());
  return telemetry;
}

describe("OTEL_METRICS_EXPORTER=prometheus,otlp", () => {
  for (const protocol of ["http/protobuf", "http/json"] as const) {
    test(`${protocol} export carries every contract instrument name`, async () => {
      const receiver = startReceiver();
      cleanups.push(() => receiver.server.stop(true));
      const telemetry = await telemetryWith({
        OTEL_METRICS_EXPORTER: "prometheus,otlp",
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: protocol,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_METRIC_EXPORT_INTERVAL: "200",
      });
      telemetry.metrics.jobFinished("failed", 3);
      telemetry.metrics.stageFinished("ai", "failed", 1);
      telemetry.metrics.ocrCall("tesseract", 1);
      telemetry.metrics.httpRequest("POST", "/api/documents", 201, 0.2);
      telemetry.metrics.queueWait(1);

      const first = await waitFor(() => receiver.received[0], { what: "an OTLP export" });
      const expectedType = protocol === "http/json" ? "application/json" : "application/x-protobuf";
      expect(first.contentType).toContain(expectedType);
      expect([...new Set(first.names)].sort()).toEqual(contractNames);

      // The Prometheus endpoint keeps working beside the push.
      expect(await telemetry.scrape()).toContain('jobs_total{status="failed"} 1');
    });
  }

  test("shutdown flushes what was recorded since the last push", async () => {
    const receiver = startReceiver();
    cleanups.push(() => receiver.server.stop(true));
    const telemetry = await telemetryWith({
      OTEL_METRICS_EXPORTER: "otlp",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${receiver.endpoint}/v1/metrics`,
      OTEL_METRIC_EXPORT_INTERVAL: "3600000",
    });
    telemetry.metrics.loginFailure("bad_password");
    expect(receiver.received).toHaveLength(0);

    await telemetry.shutdown();
    expect(receiver.received.length).toBeGreaterThanOrEqual(1);
    const last = receiver.received.at(-1);
    expect(last?.names).toContain("login_failures_total");
    expect(last?.body).toContain('"stringValue":"bad_password"');
  });
});

describe("OTEL_METRICS_EXPORTER=none", () => {
  test("binds no port and pushes nothing", async () => {
    const telemetry = await telemetryWith({ OTEL_METRICS_EXPORTER: "none" });
    telemetry.listen();
    expect(telemetry.port).toBeUndefined();
  });

  test("shutdown with an unreachable collector gives up after its timeout", async () => {
    const telemetry = await telemetryWith({
      OTEL_METRICS_EXPORTER: "otlp",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
    });
    telemetry.metrics.workerShutdown();
    const started = performance.now();
    await telemetry.shutdown(500);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

describe("OTEL_METRICS_EXPORTER=otlp alone", () => {
  test("binds no Prometheus port", async () => {
    const telemetry = await telemetryWith({
      OTEL_METRICS_EXPORTER: "otlp",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9",
    });
    telemetry.listen();
    expect(telemetry.port).toBeUndefined();
  });
});
