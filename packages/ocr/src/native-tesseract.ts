/** The native `tesseract` binary as an OCR engine: one process per page, fixed arguments. */

import {
  engineFailed,
  engineMissing,
  engineTimeout,
  errorMessage,
  languageUnavailable,
} from "./errors.ts";

export interface NativeTesseractRequest {
  png: Uint8Array;
  languages: string[];
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Absolute path of the binary, looked up on PATH; never taken from configuration. */
function binary(): string {
  const path = Bun.which("tesseract", { PATH: process.env.PATH ?? "" });
  if (!path) {
    throw engineMissing(
      "OCR engine tesseract is not installed on this worker (install the tesseract-ocr package)",
    );
  }
  return path;
}

export async function recognizeNative(request: NativeTesseractRequest): Promise<string> {
  const argv = [binary(), "stdin", "stdout", "-l", request.languages.join("+")];

  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  let child: Bun.Subprocess<Blob, "pipe", "pipe">;
  try {
    child = Bun.spawn(argv, {
      stdin: new Blob([request.png]),
      stdout: "pipe",
      stderr: "pipe",
      signal,
      // One thread per process: parallelism comes from running several pages at once.
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        OMP_THREAD_LIMIT: "1",
        ...(process.env.TESSDATA_PREFIX ? { TESSDATA_PREFIX: process.env.TESSDATA_PREFIX } : {}),
      },
    });
  } catch (error) {
    throw engineFailed(`tesseract could not be started: ${errorMessage(error)}`, error);
  }

  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (exitCode === 0) return stdout;

  request.signal?.throwIfAborted();
  if (timeout.aborted) throw engineTimeout("tesseract", request.timeoutMs);
  const missing = /Failed loading language '([^']+)'/.exec(stderr);
  if (missing) {
    throw languageUnavailable(
      missing[1] ?? "?",
      "tesseract",
      "install its tesseract-ocr-* package",
    );
  }
  const detail = stderr.trim().split("\n").slice(-3).join(" ");
  throw engineFailed(`tesseract exited with code ${exitCode}: ${detail}`);
}
