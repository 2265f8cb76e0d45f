// A server that accepts connections but never answers: calls end at the configured timeout.

import { afterAll, expect, test } from "bun:test";
import { AppError } from "@crpipeline/errors";
import { silentLogger } from "@crpipeline/log";
import { createTestTelemetry, sampleValue } from "@crpipeline/telemetry";
import { createObjectStore } from "./object-store.ts";

// Accepts TCP connections and reads requests, never writes a byte back.
const silent = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: { data() {} },
});
const telemetry = createTestTelemetry();
const store = createObjectStore({
  config: {
    s3Endpoint: `http://127.0.0.1:${silent.port}`,
    s3Bucket: "hung",
    s3Region: "us-east-1",
    awsAccessKeyId: "key",
    awsSecretAccessKey: "secret",
    dataDir: "/nonexistent",
  },
  metrics: telemetry.metrics,
  logger: silentLogger,
  client: { socketTimeoutMs: 300, maxAttempts: 2 },
});

afterAll(async () => {
  store.close();
  silent.stop(true);
  await telemetry.shutdown();
});

test("a hung server turns into a counted 503 after the request timeout, not minutes", async () => {
  const started = performance.now();
  const error = await store.head("some/key").catch((e: unknown) => e);
  const elapsed = performance.now() - started;

  expect(error).toBeInstanceOf(AppError);
  expect(error).toMatchObject({ status: 503, code: "storage_unavailable" });
  // Two attempts of 300 ms each plus a short backoff.
  expect(elapsed).toBeGreaterThan(250);
  expect(elapsed).toBeLessThan(3_000);
  expect(sampleValue(await telemetry.scrape(), "s3_errors_total", { operation: "head" })).toBe(1);
});
