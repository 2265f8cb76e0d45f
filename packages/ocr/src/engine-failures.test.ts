import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { AppError } from "@crpipeline/errors";
import { silentLogger } from "@crpipeline/log";
import { createTestTelemetry } from "@crpipeline/telemetry";
import type { OcrLimits } from "./engines.ts";
import { fixture, metricValue, ocrStage, rejection } from "./ocr.test-utils.ts";
import { createOcrService } from "./service.ts";

setDefaultTimeout(60_000);

async function failingRun(limits: Partial<OcrLimits>) {
  const telemetry = createTestTelemetry();
  const service = createOcrService({
    config: { ocrConcurrency: 1 },
    metrics: telemetry.metrics,
    logger: silentLogger,
    limits,
  });
  try {
    const error = await rejection(
      service.extract({
        bytes: await fixture("invoice.png"),
        contentType: "image/png",
        stage: ocrStage(),
      }),
    );
    const errors = await metricValue(telemetry, "ai_ocr_errors_total", { service: "ocr" });
    return { error: error as AppError, errors, stats: service.stats() };
  } finally {
    await service.close();
  }
}

describe("tesseract.js engine failures", () => {
  test("a worker that does not start in time is a retryable timeout", async () => {
    const { error, errors, stats } = await failingRun({ workerStartMs: 1 });

    expect(error).toBeInstanceOf(AppError);
    expect(error.code).toBe("ocr_timeout");
    expect(error.retryable).toBe(true);
    expect(error.message).toContain("start-up");
    expect(errors).toBe(1);
    expect(stats).toEqual({ workersStarted: 1, workersAlive: 0 });
  });

  test("a recognition that hangs is abandoned and its worker dropped", async () => {
    const { error, errors, stats } = await failingRun({ pageMs: 1 });

    expect(error.code).toBe("ocr_timeout");
    expect(error.retryable).toBe(true);
    expect(error.message).toContain("recognition");
    expect(errors).toBe(1);
    expect(stats.workersAlive).toBe(0);
  });
});
