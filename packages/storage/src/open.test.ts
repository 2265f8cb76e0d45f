// openStorage: embedded server when no endpoint is configured, the given endpoint otherwise.

import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { silentLogger } from "@crpipeline/log";
import { createTestTelemetry, sampleValue } from "@crpipeline/telemetry";
import { tempDir } from "@crpipeline/testing";
import { startEmbeddedS3 } from "./embedded.ts";
import { openStorage } from "./open.ts";

const baseConfig = {
  s3Bucket: "crpipeline",
  s3Region: "us-east-1",
  awsAccessKeyId: undefined,
  awsSecretAccessKey: undefined,
};

test("without S3_ENDPOINT it starts the embedded server and creates the bucket", async () => {
  const dir = tempDir("crp-open-");
  const telemetry = createTestTelemetry();
  const opened = await openStorage({
    config: { ...baseConfig, s3Endpoint: undefined, dataDir: dir.path },
    metrics: telemetry.metrics,
    logger: silentLogger,
  });
  try {
    expect(opened.embedded?.endpoint).toStartWith("http://127.0.0.1:");
    expect(existsSync(join(dir.path, "s3", "crpipeline"))).toBe(true);
    await opened.store.put("a/b", "embedded", { contentType: "text/plain" });
    expect(await opened.store.head("a/b")).toMatchObject({ size: 8 });
    await opened.store.ping();
    await opened.store.ensureBucket();
  } finally {
    await opened.close();
    await telemetry.shutdown();
    dir.cleanup();
  }
});

test("with S3_ENDPOINT it uses that server and starts nothing", async () => {
  const serverDir = tempDir("crp-open-server-");
  const appDir = tempDir("crp-open-app-");
  const server = await startEmbeddedS3({ dataDir: serverDir.path, logger: silentLogger });
  const telemetry = createTestTelemetry();
  const opened = await openStorage({
    config: {
      ...baseConfig,
      s3Bucket: "given",
      s3Endpoint: server.endpoint,
      awsAccessKeyId: server.accessKeyId,
      awsSecretAccessKey: server.secretAccessKey,
      dataDir: appDir.path,
    },
    metrics: telemetry.metrics,
    logger: silentLogger,
  });
  try {
    expect(opened.embedded).toBeUndefined();
    await opened.store.put("a/b", "given", { contentType: "text/plain" });
    expect(
      await Bun.file(join(serverDir.path, "s3", "given", "a", "b._S3rver_object")).text(),
    ).toBe("given");
    expect(existsSync(join(appDir.path, "s3"))).toBe(false);
  } finally {
    await opened.close();
    await server.stop();
    await telemetry.shutdown();
    serverDir.cleanup();
    appDir.cleanup();
  }
});

test("an unreachable endpoint fails openStorage with a 503 and counts create_bucket", async () => {
  const dir = tempDir("crp-open-down-");
  const server = await startEmbeddedS3({ dataDir: dir.path, logger: silentLogger });
  await server.stop();
  dir.cleanup();
  const telemetry = createTestTelemetry();
  const error = await openStorage({
    config: {
      ...baseConfig,
      s3Endpoint: server.endpoint,
      awsAccessKeyId: server.accessKeyId,
      awsSecretAccessKey: server.secretAccessKey,
      dataDir: "/nonexistent",
    },
    metrics: telemetry.metrics,
    logger: silentLogger,
  }).catch((e: unknown) => e);
  expect(error).toMatchObject({ status: 503, code: "storage_unavailable" });
  expect(
    sampleValue(await telemetry.scrape(), "s3_errors_total", { operation: "create_bucket" }),
  ).toBe(1);
  await telemetry.shutdown();
});
