/**
 * Runs in a network namespace with no interface up (see offline.test.ts): OCRs one scanned page
 * and one PDF page with tesseract.js, prints the result as JSON, exits 0.
 */

import { silentLogger } from "@crpipeline/log";
import { createTestTelemetry } from "@crpipeline/telemetry";
import { fixture, ocrStage } from "../src/ocr.test-utils.ts";
import { createOcrService } from "../src/service.ts";

const service = createOcrService({
  config: { ocrConcurrency: 1 },
  metrics: createTestTelemetry().metrics,
  logger: silentLogger,
  // Offline, a worker that looks for its language data on a CDN never starts: fail fast then.
  limits: { workerStartMs: 20_000 },
});
try {
  const image = await service.extract({
    bytes: await fixture("invoice.png"),
    contentType: "image/png",
    stage: ocrStage(),
  });
  const scanned = await service.extract({
    bytes: await fixture("scanned.pdf"),
    contentType: "application/pdf",
    stage: ocrStage(),
  });
  console.log(JSON.stringify({ image, scanned }));
} finally {
  await service.close();
}
