/** Upload (and read-back) throughput of the object store against the embedded S3 server. */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "@crpipeline/log";
import { createTestTelemetry } from "@crpipeline/telemetry";
import { startEmbeddedS3 } from "../src/embedded.ts";
import { createObjectStore } from "../src/object-store.ts";

export interface UploadBench {
  megabytes: number;
  /** Stream of unknown length: multipart through lib-storage. */
  unknownLengthMBps: number;
  /** Stream with a known length: one streamed PutObject. */
  knownLengthMBps: number;
  downloadMBps: number;
}

const MB = 1024 * 1024;

/** A stream of `total` bytes in 64 KiB chunks, produced as it is read. */
function generated(total: number): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(64 * 1024).map((_, i) => (i * 31) & 0xff);
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      const size = Math.min(chunk.length, total - sent);
      controller.enqueue(chunk.slice(0, size));
      sent += size;
    },
  });
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return (performance.now() - started) / 1000;
}

export async function benchUpload(megabytes = 50): Promise<UploadBench> {
  const dataDir = mkdtempSync(join(tmpdir(), "crp-bench-s3-"));
  const server = await startEmbeddedS3({ dataDir, logger: silentLogger });
  const telemetry = createTestTelemetry();
  const store = createObjectStore({
    config: {
      s3Endpoint: server.endpoint,
      s3Bucket: "bench",
      s3Region: "us-east-1",
      awsAccessKeyId: server.accessKeyId,
      awsSecretAccessKey: server.secretAccessKey,
      dataDir,
    },
    metrics: telemetry.metrics,
    logger: silentLogger,
  });

  try {
    await store.ensureBucket();
    const total = megabytes * MB;
    const unknown = await timed(() =>
      store.put("bench/unknown", generated(total), { contentType: "application/octet-stream" }),
    );
    const known = await timed(() =>
      store.put("bench/known", generated(total), {
        contentType: "application/octet-stream",
        contentLength: total,
      }),
    );
    const download = await timed(async () => {
      const { body } = await store.get("bench/unknown");
      for await (const _ of body);
    });
    const rate = (seconds: number) => Math.round((megabytes / seconds) * 10) / 10;
    return {
      megabytes,
      unknownLengthMBps: rate(unknown),
      knownLengthMBps: rate(known),
      downloadMBps: rate(download),
    };
  } finally {
    store.close();
    await server.stop();
    await telemetry.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const result = await benchUpload();
  console.log(
    `storage upload, ${result.megabytes} MB to embedded S3: ` +
      `unknown length ${result.unknownLengthMBps} MB/s, ` +
      `known length ${result.knownLengthMBps} MB/s, download ${result.downloadMBps} MB/s`,
  );
}
