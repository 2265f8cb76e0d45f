// The embedded server: files under DATA_DIR/s3, signatures checked, clean stop.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { AppError } from "@crpipeline/errors";
import { silentLogger } from "@crpipeline/log";
import { startEmbeddedS3 } from "./embedded.ts";
import { createObjectStore } from "./object-store.ts";
import { startTestS3, type TestS3 } from "./storage.test-utils.ts";

let s3: TestS3;
beforeAll(async () => {
  s3 = await startTestS3("embedded-bucket");
});
afterAll(async () => {
  await s3.cleanup();
});

test("objects are files under <dataDir>/s3/<bucket>", async () => {
  await s3.store.put("orgs/1/documents/d/original", "%PDF-1.7", { contentType: "application/pdf" });
  expect(s3.server.directory).toBe(join(s3.dataDir, "s3"));
  const file = join(
    s3.dataDir,
    "s3",
    "embedded-bucket",
    "orgs/1/documents/d/original._S3rver_object",
  );
  expect(await Bun.file(file).text()).toBe("%PDF-1.7");
});

test("unsigned requests are refused, so other local processes cannot read objects", async () => {
  const url = `${s3.server.endpoint}/embedded-bucket/orgs/1/documents/d/original`;
  const response = await fetch(url);
  expect(response.status).toBe(403);
  expect(await response.text()).toContain("<Code>AccessDenied</Code>");
  const listing = await fetch(`${s3.server.endpoint}/embedded-bucket`);
  expect(listing.status).toBe(403);
  await listing.arrayBuffer();
});

test("a client with the wrong secret gets a counted 502 storage_rejected", async () => {
  const store = createObjectStore({
    config: { ...s3.config, awsSecretAccessKey: "not-the-secret" },
    metrics: s3.telemetry.metrics,
    logger: silentLogger,
  });
  try {
    for (const [operation, run] of [
      ["get", () => store.get("orgs/1/documents/d/original")],
      ["put", () => store.put("x/y", "z", { contentType: "text/plain" })],
      ["head", () => store.head("orgs/1/documents/d/original")],
    ] as const) {
      const before = await s3.s3Errors(operation);
      const error = await run().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ status: 502, code: "storage_rejected", retryable: false });
      expect(await s3.s3Errors(operation)).toBe(before + 1);
    }
    expect(existsSync(join(s3.dataDir, "s3", "embedded-bucket", "x"))).toBe(false);
  } finally {
    store.close();
  }
});

test("a second server cannot take a port in use, and says which", async () => {
  await expect(
    startEmbeddedS3({ dataDir: s3.dataDir, logger: silentLogger, port: s3.server.port }),
  ).rejects.toThrow(`127.0.0.1:${s3.server.port}`);
});
