/**
 * Streams one multipart file to a consumer while enforcing the size limit and sniffing the type.
 */

import { Readable } from "node:stream";
import { AppError, badRequest } from "@crpipeline/errors";
import Busboy from "busboy";
import { safeDisplayName } from "./filename.ts";
import { type DocumentType, SNIFF_BYTES, sniffType } from "./sniff.ts";

export interface IncomingFile {
  /** Safe display name derived from the client's filename. */
  name: string;
  contentType: DocumentType;
  /** The bytes; errors with a 413 AppError as soon as the limit is passed. */
  stream: ReadableStream<Uint8Array>;
  /** Bytes and sha256 of what passed through `stream` (final once it has ended). */
  stats(): { size: number; sha256: string };
}

export interface UploadResult<T> {
  stored: T;
  fields: Record<string, string>;
}

const tooLarge = (maxBytes: number) =>
  new AppError("too_large", `File is larger than the limit of ${maxBytes} bytes`, 413);

/**
 * Collects at least SNIFF_BYTES (or everything, if the file is smaller) before the type is known.
 */
function readHead(file: Readable): Promise<{ head: Buffer; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= SNIFF_BYTES) finish(false);
    };
    const onEnd = () => finish(true);
    const finish = (ended: boolean) => {
      file.pause();
      file.off("data", onData).off("end", onEnd).off("error", reject);
      resolve({ head: Buffer.concat(chunks), ended });
    };
    file.on("data", onData).once("end", onEnd).once("error", reject);
  });
}

/** Wraps the rest of the file as a web stream that counts, hashes and enforces the limit. */
function toCountedStream(
  file: Readable,
  head: Buffer,
  ended: boolean,
  maxBytes: number,
  truncated: () => boolean,
) {
  const hasher = new Bun.CryptoHasher("sha256");
  let size = 0;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let open = true;
      const stop = (error?: AppError) => {
        if (!open) return;
        open = false;
        if (error) controller.error(error);
        else controller.close();
        file.resume(); // drain the rest so the request can finish
      };
      const push = (chunk: Buffer) => {
        if (!open) return;
        size += chunk.length;
        if (size > maxBytes) return stop(tooLarge(maxBytes));
        hasher.update(chunk);
        controller.enqueue(new Uint8Array(chunk));
        if ((controller.desiredSize ?? 1) <= 0) file.pause();
      };
      // busboy cuts the file at its fileSize limit and flags it (possibly before any data).
      const end = () => stop(truncated() ? tooLarge(maxBytes) : undefined);
      if (head.length > 0) push(head);
      // The file may have ended while it sat paused between readHead and here.
      if (ended || file.readableEnded) return end();
      file.on("data", push);
      file.once("limit", () => stop(tooLarge(maxBytes)));
      file.once("end", end);
      file.once("error", (error) => stop(badRequest(`Upload interrupted: ${error}`)));
      file.resume();
    },
    pull() {
      file.resume();
    },
    cancel() {
      file.resume();
    },
  });
  let digest: string | undefined;
  const stats = () => {
    digest ??= hasher.digest("hex");
    return { size, sha256: digest };
  };
  return { stream, stats };
}

/**
 * Reads a multipart/form-data request with one `file` part and any text fields, handing the
 * file to `store` as a stream. Resolves once both the request is read and `store` finished.
 */
export async function receiveUpload<T>(
  request: Request,
  maxBytes: number,
  store: (file: IncomingFile) => Promise<T>,
  /** Undoes `store` when the request turns out bad after the file was stored. */
  discard: (stored: T) => Promise<void> = async () => {},
): Promise<UploadResult<T>> {
  const contentType = request.headers.get("content-type") ?? "";
  if (!contentType.startsWith("multipart/form-data") || !request.body) {
    throw badRequest("Upload must be multipart/form-data with a `file` field");
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes + 64 * 1024) throw tooLarge(maxBytes);

  const busboy = Busboy({
    headers: { "content-type": contentType },
    limits: { files: 1, fileSize: maxBytes, fields: 20, fieldSize: 16 * 1024, parts: 25 },
  });
  const fields: Record<string, string> = {};
  let storing: Promise<T> | undefined;
  let failure: unknown;
  const fail = (error: unknown) => {
    failure ??= error;
  };

  busboy.on("field", (name, value) => {
    fields[name] = value;
  });
  for (const limit of ["filesLimit", "partsLimit", "fieldsLimit"] as const) {
    busboy.on(limit, () => fail(badRequest('Send exactly one file as "file" and few fields')));
  }
  busboy.on("file", (field, file, info) => {
    if (field !== "file" || storing) {
      fail(badRequest(`Unexpected file field "${field}": send exactly one file as "file"`));
      file.resume();
      return;
    }
    let truncated = false;
    file.once("limit", () => {
      truncated = true;
    });
    storing = (async () => {
      const { head, ended } = await readHead(file);
      if (head.length === 0) throw badRequest("The file is empty");
      const name = safeDisplayName(info.filename);
      const type = sniffType(head.subarray(0, SNIFF_BYTES), name);
      const counted = toCountedStream(file, head, ended, maxBytes, () => truncated);
      return store({ name, contentType: type, stream: counted.stream, stats: counted.stats });
    })();
    // Keep reading the request even if storing fails, so the client gets our answer.
    storing.catch((error) => {
      fail(error);
      file.resume();
    });
  });

  const parsed = new Promise<void>((resolve, reject) => {
    busboy.once("close", resolve);
    busboy.once("error", (error) => reject(badRequest(`Malformed multipart body: ${error}`)));
  });
  Readable.fromWeb(request.body as import("node:stream/web").ReadableStream).pipe(busboy);

  try {
    await parsed;
  } catch (error) {
    fail(error);
  }
  const stored = storing ? await storing.catch(() => undefined) : undefined;
  if (failure) {
    if (stored !== undefined) await discard(stored);
    throw failure;
  }
  if (!storing) throw badRequest('The form has no "file" field');
  return { stored: stored as T, fields };
}
