// The trap the client settings avoid: with the SDK's default flexible checksums, a streamed body
// is sent aws-chunked and s3rver stores the chunk framing as the object's bytes.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { Readable } from "node:stream";
import type { ReadableStream as NodeWebStream } from "node:stream/web";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  chunkedStream,
  sha256,
  startTestS3,
  type TestS3,
  testBytes,
} from "./storage.test-utils.ts";

let s3: TestS3;
beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(async () => {
  await s3.cleanup();
});

test("default checksum settings store aws-chunked framing; the store's settings do not", async () => {
  const data = testBytes(300_000, 9);
  const defaults = new S3Client({
    endpoint: s3.server.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: s3.server.accessKeyId, secretAccessKey: s3.server.secretAccessKey },
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
  try {
    await defaults.send(
      new PutObjectCommand({
        Bucket: s3.config.s3Bucket,
        Key: "trap/default",
        Body: Readable.fromWeb(chunkedStream(data, 300_000) as NodeWebStream<Uint8Array>),
        ContentLength: data.length,
      }),
    );
    const stored = await defaults.send(
      new GetObjectCommand({ Bucket: s3.config.s3Bucket, Key: "trap/default" }),
    );
    const bytes = await stored.Body?.transformToByteArray();
    const head = new TextDecoder().decode(bytes?.slice(0, 12));
    // First line of aws-chunked: the chunk size in hex (300000 = 0x493e0), then CRLF.
    expect(head).toStartWith("493e0\r\n");
    expect(sha256(bytes ?? new Uint8Array())).not.toBe(sha256(data));
  } finally {
    defaults.destroy();
  }

  await s3.store.put("trap/store", chunkedStream(data, 300_000), {
    contentType: "application/octet-stream",
    contentLength: data.length,
  });
  expect(sha256(await s3.store.getBytes("trap/store"))).toBe(sha256(data));
});
