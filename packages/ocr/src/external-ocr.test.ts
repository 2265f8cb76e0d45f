import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { AppError } from "@crpipeline/errors";
import { silentLogger } from "@crpipeline/log";
import { createTestTelemetry } from "@crpipeline/telemetry";
import { freePort } from "@crpipeline/testing";
import { fixture, metricValue, ocrStage, rejection } from "./ocr.test-utils.ts";
import { createOcrService } from "./service.ts";

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];
const ATTEMPTS = 3;

interface Received {
  authorization: string | null;
  fileName: string;
  fileType: string;
  magic: number[];
  languages: string | null;
}

/** A stand-in for a paid OCR service: answers each request with the next planned reply. */
let plan: ("ok" | "500" | "400" | "slow" | "no-text")[] = [];
const received: Received[] = [];

const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(request) {
    const form = await request.formData();
    const file = form.get("file");
    if (!(file instanceof File)) return Response.json({ error: "file missing" }, { status: 400 });
    const bytes = new Uint8Array(await file.arrayBuffer());
    received.push({
      authorization: request.headers.get("authorization"),
      fileName: file.name,
      fileType: file.type,
      magic: [...bytes.subarray(0, 4)],
      languages: form.get("languages") as string | null,
    });

    const reply = plan.shift() ?? "ok";
    if (reply === "500") return new Response("overloaded", { status: 500 });
    if (reply === "400") return new Response("bad image", { status: 400 });
    if (reply === "no-text") return Response.json({ words: [] });
    if (reply === "slow") await Bun.sleep(1500);
    return Response.json({ text: `recognised ${file.name} (${bytes.length} bytes)` });
  },
});

const telemetry = createTestTelemetry();
const service = createOcrService({
  config: { ocrConcurrency: 2 },
  metrics: telemetry.metrics,
  logger: silentLogger,
  limits: { externalAttempts: ATTEMPTS, externalBackoffMs: 5, externalTimeoutMs: 400 },
});
afterAll(async () => {
  await service.close();
  await server.stop(true);
});
beforeEach(() => {
  plan = [];
  received.length = 0;
});

const ocrErrors = () => metricValue(telemetry, "ai_ocr_errors_total", { service: "ocr" });
const endpoint = () => `http://127.0.0.1:${server.port}/ocr`;

async function extract(options: { apiKey?: string; url?: string } = {}) {
  return service.extract({
    bytes: await fixture("invoice.png"),
    contentType: "image/png",
    stage: ocrStage({ engine: "external", endpoint: options.url ?? endpoint() }),
    externalApiKey: options.apiKey,
  });
}

describe("extract with an external OCR service", () => {
  test("posts the page as a multipart PNG with the bearer key and returns its text", async () => {
    const calls = await metricValue(telemetry, "ocr_duration_seconds_count", {
      engine: "external",
    });
    const result = await extract({ apiKey: "k3y-for-test" });

    expect(result.pages).toHaveLength(1);
    expect(result.pages[0]?.source).toBe("ocr");
    expect(result.text).toMatch(/^recognised page-1\.png \(\d+ bytes\)$/);
    expect(received).toEqual([
      {
        authorization: "Bearer k3y-for-test",
        fileName: "page-1.png",
        fileType: "image/png",
        magic: PNG_MAGIC,
        languages: "eng",
      },
    ]);
    expect(await metricValue(telemetry, "ocr_duration_seconds_count", { engine: "external" })).toBe(
      calls + 1,
    );
    expect(service.stats().workersStarted).toBe(0);
  });

  test("sends no authorization header without a key", async () => {
    await extract();
    expect(received[0]?.authorization).toBeNull();
  });

  test("a 500 is retried, and the failed attempt is counted", async () => {
    const before = await ocrErrors();
    plan = ["500", "ok"];
    const result = await extract();

    expect(result.text).toContain("recognised page-1.png");
    expect(received).toHaveLength(2);
    expect(await ocrErrors()).toBe(before + 1);
  });

  test("a service that keeps failing gives up after every attempt, each one counted", async () => {
    const before = await ocrErrors();
    plan = ["500", "500", "500", "500"];
    const error = await rejection(extract());

    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).retryable).toBe(true);
    expect((error as AppError).message).toContain("answered 500");
    expect(received).toHaveLength(ATTEMPTS);
    expect(await ocrErrors()).toBe(before + ATTEMPTS);
  });

  test("a refused request (400) is not retried, and the failed call is still timed", async () => {
    const before = await ocrErrors();
    const timed = () =>
      metricValue(telemetry, "ocr_duration_seconds_count", { engine: "external" });
    const timedBefore = await timed();
    plan = ["400"];
    const error = await rejection(extract());

    expect((error as AppError).retryable).toBe(false);
    expect((error as AppError).message).toContain("answered 400: bad image");
    expect(received).toHaveLength(1);
    expect(await ocrErrors()).toBe(before + 1);
    expect(await timed()).toBe(timedBefore + 1);
  });

  test("an answer without text is an error, not an empty page", async () => {
    plan = ["no-text"];
    const error = await rejection(extract());
    expect((error as AppError).message).toContain("without a text field");
  });

  test("a slow answer times out and is retried", async () => {
    plan = ["slow", "ok"];
    const result = await extract();
    expect(result.text).toContain("recognised page-1.png");
    expect(received).toHaveLength(2);
  });

  test("an unreachable service is retried, then fails as retryable", async () => {
    const before = await ocrErrors();
    const error = await rejection(extract({ url: `http://127.0.0.1:${await freePort()}/ocr` }));

    expect((error as AppError).retryable).toBe(true);
    expect((error as AppError).message).toContain("unreachable");
    expect(await ocrErrors()).toBe(before + ATTEMPTS);
  });
});
