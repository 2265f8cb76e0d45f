import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { cer } from "@crpipeline/ocr";
import { startWorker, type Worker } from "../src/worker.ts";
import {
  createHarness,
  fixture,
  type Harness,
  OCR_FIXTURES,
  outputText,
} from "./worker.test-utils.ts";

// Real tesseract.js on scanned pages: seconds per page on a busy machine.
setDefaultTimeout(180_000);
const MAX_CER = 0.05;

const STAGES = [
  { type: "ocr" },
  {
    type: "parse",
    keywords: ["Invoice", "Total"],
    regex: [{ name: "total", pattern: "Total: ([0-9.,]+)", group: 1 }],
  },
  { type: "report", title: "Invoice report" },
];

/** Each kind with where its pages' text must come from: read directly, or recognised. */
const KINDS = [
  ["text-layer.pdf", "application/pdf", "text-layer"],
  ["scanned.pdf", "application/pdf", "ocr"],
  ["invoice.png", "image/png", "ocr"],
  ["invoice.jpg", "image/jpeg", "ocr"],
  ["invoice.tiff", "image/tiff", "ocr"],
  ["text.txt", "text/plain", "text-layer"],
] as const;

let harness: Harness;
let worker: Worker;
let truth: string;

beforeAll(async () => {
  harness = await createHarness("sqlite");
  worker = startWorker(harness.runtime, { concurrency: 2, leaseSeconds: 30 });
  truth = await Bun.file(join(OCR_FIXTURES, "ground-truth.txt")).text();
});

afterAll(async () => {
  await worker.stop();
  await harness.cleanup();
});

describe("a job per document kind through ocr → parse → report", () => {
  for (const [name, contentType, source] of KINDS) {
    test(name, async () => {
      const document = await harness.upload(name, contentType, await fixture(name));
      const queued = await harness.queue(document.id, STAGES);
      worker.wake();
      const job = await harness.waitForStatus(queued.id, ["succeeded", "failed", "canceled"]);

      expect(job.error).toBeNull();
      expect(job.status).toBe("succeeded");
      expect(job.attempts).toBe(1);
      expect(job.progress).toBe(1);
      const prefix = `orgs/${harness.orgId}/jobs/${job.id}`;
      expect(
        job.outputs.map((o) => [o.index, o.stage, o.name, o.storageKey, o.contentType]),
      ).toEqual([
        [0, "ocr", "ocr", `${prefix}/0-ocr.json`, "application/json"],
        [1, "parse", "parse", `${prefix}/1-parse.json`, "application/json"],
        [2, "report", "report-pdf", `${prefix}/2-report.pdf`, "application/pdf"],
        [2, "report", "report-summary", `${prefix}/2-report.json`, "application/json"],
      ]);

      const [ocrOut, parseOut, pdfOut, summaryOut] = job.outputs;
      const ocr = JSON.parse(await outputText(harness.runtime, ocrOut?.storageKey ?? ""));
      expect(cer(truth, ocr.text)).toBeLessThan(MAX_CER);
      expect(ocr.pages.length).toBeGreaterThan(0);
      expect(ocr.pages.map((page: { number: number }) => page.number)).toEqual(
        ocr.pages.map((_: unknown, i: number) => i + 1),
      );
      for (const page of ocr.pages) expect(page.source).toBe(source);

      const parsed = JSON.parse(await outputText(harness.runtime, parseOut?.storageKey ?? ""));
      expect(parsed.regex.total).toEqual(["1,234.56"]);

      const pdf = await harness.runtime.store.getBytes(pdfOut?.storageKey ?? "");
      expect(new TextDecoder().decode(pdf.slice(0, 5))).toBe("%PDF-");
      expect(pdfOut?.size).toBe(pdf.byteLength);

      const summary = JSON.parse(await outputText(harness.runtime, summaryOut?.storageKey ?? ""));
      expect(summary.title).toBe("Invoice report");
      expect(summary.documentName).toBe(name);
      expect(summary.pages).toBeGreaterThanOrEqual(1);
      expect(summary.matches).toEqual({ total: 1 });
    });
  }
});
