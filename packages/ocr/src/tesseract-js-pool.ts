/** A fixed-size pool of tesseract.js workers, started on first use and reused across documents. */

import { isAppError } from "@crpipeline/errors";
import type { Logger } from "@crpipeline/log";
import { createWorker, OEM, type Worker } from "tesseract.js";
import { engineFailed, engineTimeout, errorMessage } from "./errors.ts";
import { workerLanguages } from "./language-data.ts";
import { createLimiter } from "./limiter.ts";
import { withTimeout } from "./timeout.ts";

export interface TesseractJsPoolOptions {
  size: number;
  startTimeoutMs: number;
  pageTimeoutMs: number;
  logger: Logger;
}

export interface TesseractJsPool {
  recognize(png: Uint8Array, languages: string[]): Promise<string>;
  /** Workers started since the pool was created: it stays put while workers are reused. */
  started(): number;
  /** Workers alive now (at most `size`). */
  alive(): number;
  close(): Promise<void>;
}

interface Slot {
  /** The languages the worker was initialised with, e.g. `eng+deu`. */
  key: string;
  worker: Promise<Worker>;
}

export function createTesseractJsPool(options: TesseractJsPoolOptions): TesseractJsPool {
  const { size, startTimeoutMs, pageTimeoutMs, logger } = options;
  const slots = new Map<number, Slot>();
  // The limiter admits at most `size` recognitions, so a free slot index always exists inside.
  const limiter = createLimiter(size);
  const free = Array.from({ length: size }, (_, index) => index);
  let started = 0;
  let closed = false;

  async function start(languages: string[]): Promise<Worker> {
    const { langs, options: dataOptions } = await workerLanguages(languages);
    started += 1;
    const begun = performance.now();
    // Without an errorHandler tesseract.js rethrows job errors inside its message listener,
    // where nobody can catch them; the rejected job promise already carries the error.
    const pending = createWorker(langs, OEM.LSTM_ONLY, { ...dataOptions, errorHandler: () => {} });
    try {
      const worker = await withTimeout(pending, startTimeoutMs, () =>
        engineTimeout("tesseract.js worker start-up", startTimeoutMs),
      );
      const ms = Math.round(performance.now() - begun);
      logger.info({ languages: languages.join("+"), ms }, "tesseract.js worker started");
      return worker;
    } catch (error) {
      // A start that completes after the deadline still owns a thread: stop it on arrival.
      // TODO: a start that never settles keeps its thread; tesseract.js exposes no handle to it.
      pending.then((late) => late.terminate()).catch(() => {});
      throw error;
    }
  }

  const discard = (index: number) => {
    const slot = slots.get(index);
    slots.delete(index);
    slot?.worker.then((worker) => worker.terminate()).catch(() => {});
  };

  async function recognizeIn(index: number, png: Uint8Array, languages: string[]) {
    const key = languages.join("+");
    try {
      let slot = slots.get(index);
      if (slot?.key !== key) {
        discard(index);
        slot = { key, worker: start(languages) };
        slots.set(index, slot);
      }
      const worker = await slot.worker;
      const image = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
      const result = await withTimeout(worker.recognize(image), pageTimeoutMs, () =>
        engineTimeout("tesseract.js recognition", pageTimeoutMs),
      );
      return result.data.text;
    } catch (error) {
      // A worker that failed to start, hung or crashed is not trusted with the next page.
      discard(index);
      if (isAppError(error)) throw error;
      throw engineFailed(`tesseract.js failed: ${errorMessage(error)}`, error);
    }
  }

  const recognize = (png: Uint8Array, languages: string[]) =>
    limiter.run(async () => {
      if (closed) throw engineFailed("the OCR service is closed");
      const index = free.pop() ?? 0;
      try {
        return await recognizeIn(index, png, languages);
      } finally {
        free.push(index);
      }
    });

  async function close(): Promise<void> {
    closed = true;
    const workers = [...slots.values()].map((slot) => slot.worker);
    slots.clear();
    await Promise.allSettled(workers.map(async (worker) => (await worker).terminate()));
  }

  return { recognize, started: () => started, alive: () => slots.size, close };
}
