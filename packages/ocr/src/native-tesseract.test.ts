import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { AppError } from "@crpipeline/errors";
import { silentLogger } from "@crpipeline/log";
import { createTestTelemetry } from "@crpipeline/telemetry";
import { requireCommand } from "@crpipeline/testing";
import { cer } from "./cer.ts";
import { fixture, groundTruth, metricValue, ocrStage, rejection } from "./ocr.test-utils.ts";
import { createOcrService } from "./service.ts";

setDefaultTimeout(60_000);

const hasTesseract = await requireCommand("tesseract");
const telemetry = createTestTelemetry();
const service = createOcrService({
  config: { ocrConcurrency: 2 },
  metrics: telemetry.metrics,
  logger: silentLogger,
});
afterAll(() => service.close());

const truth = await groundTruth();
const stage = ocrStage({ engine: "tesseract" });

describe.skipIf(!hasTesseract)("extract with the native tesseract binary", () => {
  test("reads the PNG within the error bound and records one OCR call", async () => {
    const result = await service.extract({
      bytes: await fixture("invoice.png"),
      contentType: "image/png",
      stage,
    });

    expect(result.pages.map((p) => p.source)).toEqual(["ocr"]);
    expect(cer(truth.whole, result.text)).toBeLessThan(0.05);
    expect(
      await metricValue(telemetry, "ocr_duration_seconds_count", { engine: "tesseract" }),
    ).toBe(1);
    expect(service.stats().workersStarted).toBe(0);
  });

  test("OCRs the scanned pages of a PDF", async () => {
    const result = await service.extract({
      bytes: await fixture("mixed.pdf"),
      contentType: "application/pdf",
      stage,
    });

    expect(result.pages.map((p) => p.source)).toEqual(["text-layer", "ocr"]);
    expect(cer(truth.pages[1], result.pages[1]?.text ?? "")).toBeLessThan(0.05);
  });

  test("a language the binary lacks is a non-retryable 422", async () => {
    const error = await rejection(
      service.extract({
        bytes: await fixture("invoice.png"),
        contentType: "image/png",
        stage: ocrStage({ engine: "tesseract", languages: ["xyz"] }),
      }),
    );

    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe("ocr_language_unavailable");
    expect((error as AppError).retryable).toBe(false);
  });
});

describe("the native engine when the binary is missing", () => {
  test("fails with a clear, non-retryable error", async () => {
    const path = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      const error = await rejection(
        service.extract({ bytes: await fixture("invoice.png"), contentType: "image/png", stage }),
      );
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe("ocr_engine_unavailable");
      expect((error as AppError).retryable).toBe(false);
      expect((error as AppError).message).toContain("tesseract is not installed");
    } finally {
      process.env.PATH = path;
    }
  });
});
