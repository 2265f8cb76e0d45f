/** Stream plumbing for object bodies: count what goes up, map failures of what comes down. */

import { AppError } from "@crpipeline/errors";

export interface MeteredBody {
  stream: ReadableStream<Uint8Array>;
  /** Bytes handed to the S3 client so far. */
  bytes(): number;
  /** The failure of the caller's own body (or its length check): theirs, not the store's. */
  sourceError(): unknown;
  /** Releases the caller's stream after a failed upload that may not have drained it. */
  release(reason: unknown): void;
}

function lengthMismatch(expected: number, actual: string): AppError {
  return new AppError(
    "body_length_mismatch",
    `The body is ${actual} bytes but contentLength said ${expected}`,
    400,
  );
}

/**
 * Wraps an upload body so its size is known afterwards and, when a length was promised, a longer
 * or shorter stream fails instead of leaving the request hanging on a Content-Length it cannot
 * meet. Pulls one chunk at a time, so nothing is buffered here.
 */
export function meterBody(
  source: ReadableStream<Uint8Array>,
  expectedLength?: number,
): MeteredBody {
  const reader = source.getReader();
  let bytes = 0;
  let failure: unknown;
  let finished = false;

  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, error: unknown) => {
    failure = error;
    finished = true;
    controller.error(error);
    reader.cancel(error).catch(() => {});
  };

  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let next: Awaited<ReturnType<typeof reader.read>>;
        try {
          next = await reader.read();
        } catch (error) {
          return fail(controller, error);
        }

        if (next.done) {
          if (expectedLength !== undefined && bytes !== expectedLength) {
            return fail(controller, lengthMismatch(expectedLength, String(bytes)));
          }
          finished = true;
          return controller.close();
        }

        bytes += next.value.byteLength;
        if (expectedLength !== undefined && bytes > expectedLength) {
          return fail(controller, lengthMismatch(expectedLength, `more than ${expectedLength}`));
        }
        controller.enqueue(next.value);
      },
      cancel(reason) {
        finished = true;
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );

  return {
    stream,
    bytes: () => bytes,
    sourceError: () => failure,
    release(reason) {
      if (finished) return;
      finished = true;
      reader.cancel(reason).catch(() => {});
    },
  };
}

/**
 * Passes a download through, turning a failure in the middle of the body (connection dropped,
 * server stopped) into the AppError `onError` returns, so readers never see a raw socket error.
 */
export function guardDownload(
  source: ReadableStream<Uint8Array>,
  onError: (error: unknown) => AppError,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await reader.read();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        } catch (error) {
          controller.error(onError(error));
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Reads a whole stream into one buffer (for small objects: stage outputs, JSON). */
export async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
