/** Works through a document's pages a few at a time, in order, with progress and cancellation. */

export interface PageLoopOptions {
  total: number;
  concurrency: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Calls `work` for pages 1..total with at most `concurrency` in flight and returns the results
 * in page order. Cancellation is checked before each page starts; after the first failure no
 * new page starts and the failure is rethrown once the pages in flight have settled.
 */
export async function forEachPage<T>(
  options: PageLoopOptions,
  work: (pageNumber: number) => Promise<T>,
): Promise<T[]> {
  const { total, signal, onProgress } = options;
  const results = new Array<T>(total);
  let next = 1;
  let done = 0;
  let failure: { error: unknown } | undefined;

  async function lane(): Promise<void> {
    while (!failure && next <= total) {
      const pageNumber = next++;
      try {
        signal?.throwIfAborted();
        results[pageNumber - 1] = await work(pageNumber);
      } catch (error) {
        failure ??= { error };
        return;
      }
      done += 1;
      onProgress?.(done, total);
    }
  }

  const lanes = Math.max(1, Math.min(options.concurrency, total));
  await Promise.all(Array.from({ length: lanes }, lane));
  if (failure) throw failure.error;
  return results;
}
