/** The S3 side of a streamed put: one PutObject when the length is known, multipart otherwise. */

import { Readable } from "node:stream";
import type { ReadableStream as NodeWebStream } from "node:stream/web";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";

// 5 MiB is the smallest part S3 accepts; two parts in flight bound an upload's memory to ~10 MiB.
const PART_SIZE = 5 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;

export interface StreamUpload {
  client: S3Client;
  bucket: string;
  key: string;
  /** Bytes are sent as they are (and can be retried by the SDK); a stream is sent once. */
  body: ReadableStream<Uint8Array> | Uint8Array;
  contentType: string;
  contentLength: number | undefined;
}

/** Sends the body and resolves with the ETag S3 gave the object. */
export async function sendStream(upload: StreamUpload): Promise<string | undefined> {
  const { client, bucket, key, body, contentType, contentLength } = upload;

  if (body instanceof Uint8Array) {
    const out = await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
    );
    return out.ETag;
  }

  if (contentLength !== undefined) {
    // The SDK's Node HTTP handler (also used on Bun) cannot send a web ReadableStream body, so
    // it gets a Node stream. A failing body must abort the request: the SDK only pipes it and
    // would otherwise wait for bytes that never come.
    const nodeBody = Readable.fromWeb(body as NodeWebStream<Uint8Array>);
    const abort = new AbortController();
    nodeBody.once("error", (error) => abort.abort(error));
    const out = await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: nodeBody,
        ContentType: contentType,
        ContentLength: contentLength,
      }),
      { abortSignal: abort.signal },
    );
    return out.ETag;
  }

  // Unknown length: lib-storage buffers one part at a time and goes multipart past PART_SIZE
  // (one plain PutObject for small bodies). A failed part aborts the whole multipart upload.
  const out = await new Upload({
    client,
    params: { Bucket: bucket, Key: key, Body: body, ContentType: contentType },
    partSize: PART_SIZE,
    queueSize: PARTS_IN_FLIGHT,
    leavePartsOnError: false,
  }).done();
  return out.ETag;
}
