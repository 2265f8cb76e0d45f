/**
 * `bun run services` as a newcomer meets it: one process on the embedded defaults, driven over
 * HTTP from login to the downloaded OCR text and report PDF of a scanned document.
 */

import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { cer } from "@crpipeline/ocr";
import { readPdf } from "@crpipeline/report/pdf.test-utils";
import { tempDir, waitFor } from "@crpipeline/testing";
import {
  ADMIN,
  apiClient,
  Cleanup,
  createPipeline,
  fixture,
  REPO_ROOT,
  spawnApi,
} from "./drills/drills.test-utils.ts";

// Start-up, then tesseract.js on two scanned pages on a shared machine.
setDefaultTimeout(240_000);
const MAX_CER = 0.05;
const FINAL = ["succeeded", "failed", "canceled"];

const cleanup = new Cleanup();
afterAll(() => cleanup.run());

interface OutputView {
  id: string;
  name: string;
  contentType: string;
  size: number;
}

interface JobView {
  status: string;
  error: string | null;
  outputs: OutputView[];
}

test("bun run services: a scanned PDF in, its text and report PDF out", async () => {
  const dir = tempDir("crp-all-in-one-");
  cleanup.add(() => dir.cleanup());
  // Only the admin to bootstrap and where to listen: database and S3 are the embedded ones.
  const { service, url } = await spawnApi({ ...ADMIN, DATA_DIR: dir.path }, "services", "services");
  cleanup.add(() => service.stop());
  await service.waitForLog("services started");
  expect(existsSync(join(dir.path, "crpipeline.sqlite"))).toBe(true);
  expect(existsSync(join(dir.path, "s3"))).toBe(true);

  const login = await apiClient(url).call<{ token: string }>("POST", "/api/auth/login", {
    email: ADMIN.ADMIN_EMAIL,
    password: ADMIN.ADMIN_PASSWORD,
  });
  expect(login.status).toBe(200);
  const token = login.body.token;
  const api = apiClient(url, token);
  const download = (jobId: string, output: OutputView | undefined) =>
    fetch(`${url}/api/jobs/${jobId}/outputs/${output?.id}`, {
      headers: { authorization: `Bearer ${token}` },
    });

  const pipelineId = await createPipeline(api, [
    { type: "ocr" },
    { type: "parse", keywords: ["Invoice", "Total"] },
    { type: "report", title: "Scanned invoice" },
  ]);
  const uploaded = await api.upload("scanned.pdf", await fixture("scanned.pdf"), pipelineId);
  expect(uploaded.status).toBe(201);
  const jobId = uploaded.body.job?.id ?? "";

  const job = await waitFor(
    async () => {
      const reply = await api.call<{ job: JobView }>("GET", `/api/jobs/${jobId}`);
      return FINAL.includes(reply.body.job.status) ? reply.body.job : null;
    },
    { timeoutMs: 200_000, intervalMs: 250, what: "the job to finish" },
  );
  expect(job.error).toBeNull();
  expect(job.status).toBe("succeeded");
  expect(job.outputs.map((o) => o.name)).toEqual(["ocr", "parse", "report-pdf", "report-summary"]);

  // The text, read by OCR from the rendered pages (the fixture has no text layer).
  const ocrOutput = job.outputs.find((o) => o.name === "ocr");
  const ocrReply = await download(jobId, ocrOutput);
  expect(ocrReply.status).toBe(200);
  const ocr = (await ocrReply.json()) as { text: string; pages: { source: string }[] };
  const truth = await Bun.file(join(REPO_ROOT, "packages/ocr/fixtures/ground-truth.txt")).text();
  expect(cer(truth, ocr.text)).toBeLessThan(MAX_CER);
  expect(ocr.pages.length).toBeGreaterThan(0);
  expect(ocr.pages.every((page) => page.source === "ocr")).toBe(true);

  const pdfOutput = job.outputs.find((o) => o.name === "report-pdf");
  const pdfReply = await download(jobId, pdfOutput);
  expect(pdfReply.status).toBe(200);
  expect(pdfReply.headers.get("content-type")).toStartWith("application/pdf");
  const pdf = new Uint8Array(await pdfReply.arrayBuffer());
  expect(new TextDecoder().decode(pdf.slice(0, 5))).toBe("%PDF-");
  expect(pdf.byteLength).toBe(pdfOutput?.size ?? -1);
  const read = await readPdf(pdf);
  expect(read.pageCount).toBeGreaterThan(0);
  expect(read.pages.join(" ")).toContain("Scanned invoice");

  // One metrics endpoint for both roles: the job this process ran is counted there.
  expect(await service.metric("jobs_total", { status: "succeeded" })).toBe(1);
  expect(await service.metric("jobs_total", { status: "failed" })).toBe(0);

  await service.stop();
  expect(await service.exited).toBe(0);
});
