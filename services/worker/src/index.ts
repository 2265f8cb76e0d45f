/** The worker service: runs queued jobs' pipelines; the API starts it in the all-in-one process. */

export { outputKey } from "./outputs.ts";
export { DEFAULT_RETRY_BACKOFF, type RetryBackoff, retryDelayMs } from "./retry-delay.ts";
export { parseStages } from "./stage-runner.ts";
export { startWorker, type Worker, type WorkerOptions } from "./worker.ts";
