/** Test fixtures: a real s3rver in a temp dir, a store pointed at it, and metrics to read. */

import { createHash } from "node:crypto";
import { silentLogger } from "@crpipeline/log";
import { createTestTelemetry, sampleValue, type Telemetry } from "@crpipeline/telemetry";
import { tempDir } from "@crpipeline/testing";
import { type EmbeddedS3, startEmbeddedS3 } from "./embedded.ts";
import { createObjectStore, type StorageConfig } from "./object-store.ts";
import type { ObjectStore } from "./types.ts";

export interface TestS3 {
  server: EmbeddedS3;
  dataDir: string;
  store: ObjectStore;
  telemetry: Telemetry;
  config: StorageConfig;
  /** `s3_errors_total` for one operation, or summed over all of them. */
  s3Errors(operation?: string): Promise<number>;
  cleanup(): Promise<void>;
}

/** `listPageSize` is small so that listings page after a handful of keys. */
export async function startTestS3(bucket = "test-bucket", listPageSize = 7): Promise<TestS3> {
  const dir = tempDir("crp-storage-");
  const server = await startEmbeddedS3({ dataDir: dir.path, logger: silentLogger });
  const telemetry = createTestTelemetry();
  const config: StorageConfig = {
    s3Endpoint: server.endpoint,
    s3Bucket: bucket,
    s3Region: "us-east-1",
    awsAccessKeyId: server.accessKeyId,
    awsSecretAccessKey: server.secretAccessKey,
    dataDir: dir.path,
  };
  const store = createObjectStore({
    config,
    metrics: telemetry.metrics,
    logger: silentLogger,
    listPageSize,
  });
  await store.ensureBucket();

  return {
    server,
    dataDir: dir.path,
    store,
    telemetry,
    config,
    s3Errors: async (operation) =>
      sampleValue(await telemetry.scrape(), "s3_errors_total", operation ? { operation } : {}),
    async cleanup() {
      store.close();
      await server.stop();
      await telemetry.shutdown();
      dir.cleanup();
    },
  };
}

/** Deterministic pseudo-random bytes, so a framing or offset bug cannot hide in a pattern. */
export function testBytes(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A stream that hands out `data` in chunks of `chunkSize`, one per pull (length not known). */
export function chunkedStream(data: Uint8Array, chunkSize: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= data.length) return controller.close();
      controller.enqueue(data.slice(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
}

export const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");
