/** The real exporter's scrape passes `promtool check metrics` and serves what the alerts read. */

import { afterAll, describe, expect, test } from "bun:test";
import { CATALOGUE, createTestTelemetry } from "@crpipeline/telemetry";
import { requireCommand } from "@crpipeline/testing";
import { promtool } from "./observability.test-utils.ts";

const hasPromtool = await requireCommand("promtool");
const telemetry = createTestTelemetry();
afterAll(() => telemetry.shutdown());

// One sample on every instrument, so histograms have series and nothing is left pre-initialised.
const { metrics } = telemetry;
metrics.jobFinished("failed", 42);
metrics.stageFinished("ocr", "succeeded", 1.5);
metrics.ocrCall("tesseract.js", 0.8);
metrics.aiOcrError("ai");
metrics.s3Error("put");
metrics.loginFailure("bad_password");
metrics.rateLimitFallback();
metrics.httpRequest("GET", "/api/documents/:id", 200, 0.03);
metrics.jobStarted();
metrics.setQueuedJobs(4);
metrics.queueWait(2);
metrics.jobRetried("lease_expired");
metrics.workerShutdown();
const scrape = await telemetry.scrape();

describe("exporter scrape", () => {
  test.skipIf(!hasPromtool)("passes promtool check metrics without a finding", async () => {
    const result = await promtool(["check", "metrics"], scrape);
    expect(result.output).toBe("");
    expect(result.exitCode).toBe(0);
  });

  test("declares every catalogue metric with its type", () => {
    const missing = CATALOGUE.filter(
      (spec) => !scrape.includes(`# TYPE ${spec.name} ${spec.type}\n`),
    ).map((spec) => spec.name);
    expect(missing).toEqual([]);
  });

  test("has a job duration bucket at the LongRunningJobs threshold and one above it", () => {
    const bounds = [...scrape.matchAll(/^job_duration_seconds_bucket\{[^}]*le="([^"]+)"/gm)].map(
      (match) => Number(match[1]),
    );
    expect(bounds).toContain(30);
    expect(bounds.some((bound) => bound > 30 && Number.isFinite(bound))).toBe(true);
  });
});
