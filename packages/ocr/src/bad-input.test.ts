import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { AppError } from "@crpipeline/errors";
import { silentLogger } from "@crpipeline/log";
import { createTestTelemetry } from "@crpipeline/telemetry";
import { fixture, metricValue, ocrStage, rejection } from "./ocr.test-utils.ts";
import { createOcrService } from "./service.ts";

setDefaultTimeout(60_000);

const telemetry = createTestTelemetry();
const service = createOcrService({
  config: { ocrConcurrency: 1 },
  metrics: telemetry.metrics,
  logger: silentLogger,
});
afterAll(() => service.close());

async function failure(bytes: Uint8Array, contentType: string, languages = ["eng"]) {
  const error = await rejection(
    service.extract({ bytes, contentType, stage: ocrStage({ languages }) }),
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe("documents that cannot be read", () => {
  test("a corrupt PDF fails fast with 422, not retryable, saying it is damaged", async () => {
    const begun = performance.now();
    const error = await failure(await fixture("corrupt.pdf"), "application/pdf");

    expect(performance.now() - begun).toBeLessThan(2000);
    expect(error.status).toBe(422);
    expect(error.code).toBe("unreadable_document");
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/^PDF is damaged: .+/);
  });

  test("text bytes sent as image/png are refused as not an image", async () => {
    const error = await failure(new TextEncoder().encode("hello, not a picture\n"), "image/png");

    expect(error.status).toBe(422);
    expect(error.code).toBe("unreadable_document");
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/not an image/);
  });

  test("a truncated PNG is refused as damaged", async () => {
    const png = await fixture("invoice.png");
    const error = await failure(png.subarray(0, Math.floor(png.length / 3)), "image/png");

    expect(error.status).toBe(422);
    expect(error.retryable).toBe(false);
  });

  test("an image of another format than its content type says is refused", async () => {
    const error = await failure(await fixture("invoice.jpg"), "image/png");

    expect(error.status).toBe(422);
    expect(error.message).toBe("File is jpeg, not the image/png it claims to be");
  });

  test("text that is not UTF-8 and empty documents are refused", async () => {
    const latin1 = await failure(new Uint8Array([0x66, 0xe9, 0x65]), "text/plain");
    expect(latin1.status).toBe(422);
    expect(latin1.message).toMatch(/UTF-8/);

    const empty = await failure(new Uint8Array(), "application/pdf");
    expect(empty.status).toBe(422);
    expect(empty.message).toBe("Document is empty");
  });

  test("an unsupported content type answers 415", async () => {
    const error = await failure(await fixture("text.txt"), "application/zip");

    expect(error.status).toBe(415);
    expect(error.retryable).toBe(false);
  });

  test("a language without installed data is a clear 422 and starts no worker", async () => {
    const before = await metricValue(telemetry, "ai_ocr_errors_total", { service: "ocr" });
    const error = await failure(await fixture("invoice.png"), "image/png", ["xyz"]);

    expect(error.status).toBe(422);
    expect(error.code).toBe("ocr_language_unavailable");
    expect(error.message).toContain("@tesseract.js-data/xyz");
    expect(service.stats().workersStarted).toBe(0);
    expect(await metricValue(telemetry, "ai_ocr_errors_total", { service: "ocr" })).toBe(
      before + 1,
    );
  });
});
