/** The telemetry package: the metrics contract, its typed recorders and the exporters. */

export * from "./catalogue.ts";
export { metricsMarkdownTable } from "./docs.ts";
export { createMetrics, type Metrics } from "./metrics.ts";
export { parseSamples, type Sample, sampleValue } from "./scrape-parse.ts";
export {
  createTelemetry,
  createTestTelemetry,
  listenOrExit,
  MetricsPortError,
  type Telemetry,
  type TelemetryConfig,
} from "./telemetry.ts";
