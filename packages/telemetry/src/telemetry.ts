/** One MeterProvider per process: the Prometheus endpoint, optional OTLP push, and shutdown. */

import type { Config } from "@crpipeline/config";
import { type Logger, silentLogger } from "@crpipeline/log";
import { OTLPMetricExporter as JsonExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as ProtoExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  MeterProvider,
  type MetricReader,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { createHistogramZeros } from "./histogram-zeros.ts";
import { createMetrics, type Metrics } from "./metrics.ts";

export type TelemetryConfig = Pick<
  Config,
  | "metricsHost"
  | "metricsPort"
  | "metricsExporters"
  | "otlpProtocol"
  | "otlpProtocolGeneric"
  | "otlpEndpoint"
  | "otlpMetricsEndpoint"
  | "otlpInterval"
  | "serviceName"
>;

export interface Telemetry {
  metrics: Metrics;
  /** The port `/metrics` listens on, once `listen` has run. */
  port: number | undefined;
  /** Binds `/metrics`; throws `MetricsPortError` naming the port when it cannot. */
  listen(): void;
  /** The Prometheus exposition text, as a scrape would see it. */
  scrape(): Promise<string>;
  /**
   * Flushes the OTLP reader and stops the endpoint, giving up on the flush after `timeoutMs`
   * (an unreachable collector must not hold the process). Safe to call twice.
   */
  shutdown(timeoutMs?: number): Promise<void>;
}

export class MetricsPortError extends Error {
  constructor(host: string, port: number, cause: unknown) {
    const reason = (cause as { code?: string })?.code ?? (cause as Error)?.message;
    super(
      `cannot serve metrics on ${host}:${port} (${reason}): another process holds the port; ` +
        "set METRICS_PORT to a free port",
      { cause },
    );
    this.name = "MetricsPortError";
  }
}

const DEFAULT_OTLP_BASE = "http://localhost:4318";

function otlpReader(config: TelemetryConfig): MetricReader {
  const protocol = config.otlpProtocol ?? config.otlpProtocolGeneric ?? "http/protobuf";
  const base = (config.otlpEndpoint ?? DEFAULT_OTLP_BASE).replace(/\/$/, "");
  const url = config.otlpMetricsEndpoint ?? `${base}/v1/metrics`;
  const exporter =
    protocol === "http/json" ? new JsonExporter({ url }) : new ProtoExporter({ url });
  return new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: config.otlpInterval,
    exportTimeoutMillis: Math.min(30_000, config.otlpInterval),
  });
}

export function createTelemetry(config: TelemetryConfig, logger: Logger = silentLogger): Telemetry {
  const exporters = new Set(config.metricsExporters);
  const readers: MetricReader[] = [];

  // The exporter's own HTTP server reports a taken port only through a callback, so it stays
  // off and Bun.serve below answers /metrics from the same reader.
  const prometheus = new PrometheusExporter({
    preventServerStart: true,
    withoutScopeInfo: true,
    withoutTargetInfo: true,
  });
  readers.push(prometheus);
  if (exporters.has("otlp")) readers.push(otlpReader(config));

  const provider = new MeterProvider({
    resource: resourceFromAttributes({ "service.name": config.serviceName }),
    readers,
  });
  const zeros = createHistogramZeros();
  const metrics = createMetrics(provider.getMeter("crpipeline"), zeros);
  const serializer = new PrometheusSerializer("", false, undefined, true, true);

  const scrape = async () => {
    const { resourceMetrics, errors } = await prometheus.collect();
    for (const error of errors) logger.warn({ error }, "metric collection error");
    return serializer.serialize(zeros.fill(resourceMetrics));
  };

  let server: ReturnType<typeof Bun.serve> | undefined;
  let stopped = false;
  const telemetry: Telemetry = {
    metrics,
    port: undefined,
    scrape,
    listen() {
      if (!exporters.has("prometheus") || server) return;
      try {
        server = Bun.serve({
          hostname: config.metricsHost,
          port: config.metricsPort,
          fetch: async (request) => {
            if (new URL(request.url).pathname !== "/metrics") {
              return new Response("not found; metrics are at /metrics\n", { status: 404 });
            }
            return new Response(await scrape(), {
              headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
            });
          },
        });
      } catch (error) {
        throw new MetricsPortError(config.metricsHost, config.metricsPort, error);
      }
      telemetry.port = server.port;
      logger.info({ host: config.metricsHost, port: server.port }, "metrics endpoint listening");
    },
    async shutdown(timeoutMs = 3000) {
      if (stopped) return;
      stopped = true;
      await server?.stop(true);
      let timer: Timer | undefined;
      const timedOut = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), timeoutMs);
      });
      const outcome = await Promise.race([provider.shutdown().then(() => "done"), timedOut]);
      clearTimeout(timer);
      if (outcome === "timeout") logger.warn({ timeoutMs }, "metrics flush timed out at shutdown");
    },
  };
  return telemetry;
}

/** A telemetry with no endpoint and no push, for tests that read values through `scrape`. */
export function createTestTelemetry(): Telemetry {
  return createTelemetry({
    metricsHost: "127.0.0.1",
    metricsPort: 0,
    metricsExporters: ["prometheus"],
    otlpProtocol: undefined,
    otlpProtocolGeneric: undefined,
    otlpEndpoint: undefined,
    otlpMetricsEndpoint: undefined,
    otlpInterval: 60_000,
    serviceName: "crpipeline-test",
  });
}

/** For entry points: bind `/metrics` or print why not and exit non-zero. */
export function listenOrExit(telemetry: Telemetry, logger: Logger): void {
  try {
    telemetry.listen();
  } catch (error) {
    if (!(error instanceof MetricsPortError)) throw error;
    logger.error({ error: error.message }, "metrics endpoint failed");
    process.stderr.write(`crpipeline: ${error.message}\n`);
    process.exit(1);
  }
}
