import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { silentLogger } from "@crpipeline/log";
import { createTestTelemetry } from "@crpipeline/telemetry";
import { cer } from "./cer.ts";
import { fixture, groundTruth, metricValue, ocrStage, rejection } from "./ocr.test-utils.ts";
import { createOcrService, type OcrResult } from "./service.ts";

// Clean renders of a sans-serif font: anything above a few percent is a real regression.
const MAX_CER = 0.05;
const CONCURRENCY = 2;
// Real OCR on a busy CI machine takes seconds per page, not the runner's default 5 s per test.
setDefaultTimeout(120_000);

const telemetry = createTestTelemetry();
const service = createOcrService({
  config: { ocrConcurrency: CONCURRENCY },
  metrics: telemetry.metrics,
  logger: silentLogger,
});
afterAll(() => service.close());

const truth = await groundTruth();
const ocrCalls = () =>
  metricValue(telemetry, "ocr_duration_seconds_count", { engine: "tesseract.js" });

async function extract(name: string, contentType: string): Promise<OcrResult> {
  return service.extract({ bytes: await fixture(name), contentType, stage: ocrStage() });
}

describe("extract with tesseract.js", () => {
  test("a text-layer PDF is read directly, page by page, without OCR", async () => {
    const before = await ocrCalls();
    const result = await extract("text-layer.pdf", "application/pdf");

    expect(result.pages.map((p) => [p.number, p.source])).toEqual([
      [1, "text-layer"],
      [2, "text-layer"],
    ]);
    expect(cer(truth.pages[0], result.pages[0]?.text ?? "")).toBeLessThan(MAX_CER);
    expect(cer(truth.pages[1], result.pages[1]?.text ?? "")).toBeLessThan(MAX_CER);
    expect(cer(truth.whole, result.text)).toBeLessThan(MAX_CER);
    expect(await ocrCalls()).toBe(before);
  });

  test("a scanned PDF is rasterised and OCR'd, one OCR call per page", async () => {
    const before = await ocrCalls();
    const progress: [number, number][] = [];
    const result = await service.extract({
      bytes: await fixture("scanned.pdf"),
      contentType: "application/pdf",
      stage: ocrStage(),
      onProgress: (done, total) => progress.push([done, total]),
    });

    expect(result.pages.map((p) => p.source)).toEqual(["ocr", "ocr"]);
    expect(cer(truth.pages[0], result.pages[0]?.text ?? "")).toBeLessThan(MAX_CER);
    expect(cer(truth.pages[1], result.pages[1]?.text ?? "")).toBeLessThan(MAX_CER);
    expect(await ocrCalls()).toBe(before + 2);
    expect(progress).toEqual([
      [1, 2],
      [2, 2],
    ]);
  });

  test("a mixed PDF reads its text page and OCRs its scanned page", async () => {
    const before = await ocrCalls();
    const result = await extract("mixed.pdf", "application/pdf");

    expect(result.pages.map((p) => p.source)).toEqual(["text-layer", "ocr"]);
    expect(cer(truth.whole, result.text)).toBeLessThan(MAX_CER);
    expect(await ocrCalls()).toBe(before + 1);
  });

  for (const [name, contentType] of [
    ["invoice.png", "image/png"],
    ["invoice.jpg", "image/jpeg"],
  ] as const) {
    test(`a ${contentType} image is one OCR'd page`, async () => {
      const before = await ocrCalls();
      const result = await extract(name, contentType);

      expect(result.pages).toHaveLength(1);
      expect(result.pages[0]?.source).toBe("ocr");
      expect(cer(truth.whole, result.text)).toBeLessThan(MAX_CER);
      expect(result.text).toContain("Total: 1,234.56 EUR");
      expect(await ocrCalls()).toBe(before + 1);
    });
  }

  test("a multi-page TIFF becomes one OCR'd page per TIFF page", async () => {
    const result = await extract("invoice.tiff", "image/tiff");

    expect(result.pages.map((p) => [p.number, p.source])).toEqual([
      [1, "ocr"],
      [2, "ocr"],
    ]);
    expect(cer(truth.pages[0], result.pages[0]?.text ?? "")).toBeLessThan(MAX_CER);
    expect(cer(truth.pages[1], result.pages[1]?.text ?? "")).toBeLessThan(MAX_CER);
  });

  test("plain text and Markdown pass through as one text-layer page", async () => {
    const text = await extract("text.txt", "text/plain; charset=utf-8");
    expect(text.pages).toEqual([{ number: 1, text: truth.whole.trim(), source: "text-layer" }]);

    const markdown = await extract("text.md", "text/markdown");
    const source = new TextDecoder().decode(await fixture("text.md")).trim();
    expect(markdown.pages).toEqual([{ number: 1, text: source, source: "text-layer" }]);
    expect(markdown.text).toBe(source);
  });

  test("the worker pool starts once and is reused across calls", async () => {
    await extract("invoice.png", "image/png");
    const afterFirst = service.stats().workersStarted;
    expect(afterFirst).toBeGreaterThanOrEqual(1);

    // More documents at once than there are workers: they queue for the same workers.
    await Promise.all(
      Array.from({ length: CONCURRENCY * 2 }, () => extract("invoice.png", "image/png")),
    );
    await extract("scanned.pdf", "application/pdf");

    const { workersStarted, workersAlive } = service.stats();
    expect(workersStarted).toBeLessThanOrEqual(CONCURRENCY);
    expect(workersAlive).toBe(workersStarted);
  });
});

describe("progress and cancellation", () => {
  test("an abort between pages stops before the next page is OCR'd", async () => {
    const local = createTestTelemetry();
    const single = createOcrService({
      config: { ocrConcurrency: 1 },
      metrics: local.metrics,
      logger: silentLogger,
    });
    const controller = new AbortController();
    try {
      const error = await rejection(
        single.extract({
          bytes: await fixture("scanned.pdf"),
          contentType: "application/pdf",
          stage: ocrStage(),
          signal: controller.signal,
          onProgress: (done) => {
            if (done === 1) controller.abort();
          },
        }),
      );
      expect((error as Error).name).toBe("AbortError");
      const calls = await metricValue(local, "ocr_duration_seconds_count", {
        engine: "tesseract.js",
      });
      expect(calls).toBe(1);
    } finally {
      await single.close();
    }
    expect(single.stats().workersAlive).toBe(0);
  });

  test("an already aborted signal rejects before any work", async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await rejection(
      service.extract({
        bytes: await fixture("text.txt"),
        contentType: "text/plain",
        stage: ocrStage(),
        signal: controller.signal,
      }),
    );
    expect((error as Error).name).toBe("AbortError");
  });
});
