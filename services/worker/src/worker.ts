/**
 * The worker: claims queued jobs up to its concurrency and runs them, woken early by `wake()`
 * in its own process and by Postgres NOTIFY from others.
 */

import { hostname } from "node:os";
import { type AiClient, createAiClient } from "@crpipeline/ai";
import { claimJob, failExpiredJobs, listenForQueuedJobs, queueDepth } from "@crpipeline/db";
import { createOcrService, type OcrService } from "@crpipeline/ocr";
import type { Runtime } from "@crpipeline/runtime";
import { type JobRunnerDeps, type RunningJob, startJob } from "./job-runner.ts";
import { DEFAULT_RETRY_BACKOFF, type RetryBackoff } from "./retry-delay.ts";
import { createProcessors } from "./stages/index.ts";
import { createWakeUp } from "./wake-up.ts";

export interface WorkerOptions {
  /** Jobs run at once (WORKER_CONCURRENCY). */
  concurrency: number;
  /** Lease length (JOB_LEASE_SECONDS); renewed every third of it. */
  leaseSeconds: number;
  /** Poll for work from other processes this often, backing off while idle. Default 1 s. */
  pollIntervalMs?: number;
  /** The idle back-off stops here. Default 5 s (at least `pollIntervalMs`). */
  maxPollIntervalMs?: number;
  /**
   * On Postgres, LISTEN for jobs queued by other processes and look at once. Default true; turn
   * it off behind a transaction-pooling proxy (PgBouncer in transaction mode), where LISTEN
   * never hears anything, to rely on polling alone.
   */
  listen?: boolean;
  workerId?: string;
  /** How long `stop()` lets running jobs finish before handing them back. Default 20 s. */
  shutdownGraceMs?: number;
  /**
   * After this long with no job running and none claimable, `onIdleTimeout` is called once (the
   * worker's entry point then stops it and exits). Unset: never.
   */
  idleTimeoutMs?: number;
  onIdleTimeout?: () => void;
  /** How often `queued_jobs` is sampled. Default 5 s. */
  queueSampleMs?: number;
  retryBackoff?: RetryBackoff;
  /** Shared services (tests share one OCR pool between workers); created when absent. */
  ocr?: OcrService;
  ai?: AiClient;
}

export interface Worker {
  readonly id: string;
  /** Stops claiming, lets running jobs finish within the grace period, releases the rest. */
  stop(): Promise<void>;
  /** New work may be waiting: look now instead of at the next poll. */
  wake(): void;
  /** Resolves once the worker has looked at the queue after this call, found nothing it could
   * claim and has no job running. */
  idle(): Promise<void>;
}

const defaultWorkerId = () => `${hostname()}-${process.pid}-${crypto.randomUUID().slice(0, 8)}`;

export function startWorker(runtime: Runtime, options: WorkerOptions): Worker {
  const { db, metrics } = runtime;
  const logger = runtime.logger.child("worker");
  const workerId = options.workerId ?? defaultWorkerId();
  const pollMs = options.pollIntervalMs ?? 1000;
  const maxPollMs = Math.max(pollMs, options.maxPollIntervalMs ?? 5000);
  const sampleMs = options.queueSampleMs ?? 5000;
  const graceMs = options.shutdownGraceMs ?? 20_000;

  const ocr = options.ocr ?? createOcrService({ config: runtime.config, metrics, logger });
  const ai = options.ai ?? createAiClient({ metrics, logger });
  const wakeUp = createWakeUp();
  const running = new Map<string, RunningJob>();
  const retryTimers = new Set<ReturnType<typeof setTimeout>>();
  let idleWaiters: (() => void)[] = [];
  let stopping = false;
  /** When this worker last had a job running, for the idle limit. */
  let busyAt = performance.now();
  let idleTimedOut = false;
  let lastSample = 0;

  const jobDeps: JobRunnerDeps = {
    db,
    store: runtime.store,
    secrets: runtime.secrets,
    metrics,
    logger,
    processors: createProcessors({ config: runtime.config, ocr, ai }),
    workerId,
    leaseSeconds: options.leaseSeconds,
    retryBackoff: options.retryBackoff ?? DEFAULT_RETRY_BACKOFF,
    onRequeued(delayMs) {
      // Come back for it when it is due rather than when the idle back-off happens to look.
      const timer = setTimeout(() => {
        retryTimers.delete(timer);
        wakeUp.wake();
      }, delayMs + 10);
      retryTimers.add(timer);
    },
  };

  /** Jobs whose lease ran out with no attempts left are failed here, by whoever polls first. */
  async function failExpired() {
    for (const job of await failExpiredJobs(db)) {
      const seconds = ((job.finishedAt ?? Date.now()) - (job.startedAt ?? job.queuedAt)) / 1000;
      metrics.jobFinished("failed", seconds);
      logger.warn({ jobId: job.id, attempts: job.attempts }, "job failed: lease expired");
    }
  }

  async function sampleQueue() {
    if (Date.now() - lastSample < sampleMs) return;
    lastSample = Date.now();
    metrics.setQueuedJobs(await queueDepth(db));
  }

  function launch(claim: NonNullable<Awaited<ReturnType<typeof claimJob>>>) {
    const job = startJob(jobDeps, claim);
    running.set(job.jobId, job);
    void job.done.then(() => {
      running.delete(job.jobId);
      busyAt = performance.now(); // the idle limit runs from the end of the last job
      wakeUp.wake();
    });
  }

  /** One look at the queue; true when it ended with nothing claimable. */
  async function poll(): Promise<{ claimed: number; drained: boolean }> {
    await failExpired();
    await sampleQueue();
    let claimed = 0;
    while (!stopping && running.size < options.concurrency) {
      const claim = await claimJob(db, { workerId, leaseSeconds: options.leaseSeconds });
      if (!claim) return { claimed, drained: true };
      claimed += 1;
      launch(claim);
    }
    return { claimed, drained: false };
  }

  function checkIdleTimeout(drained: boolean) {
    if (!drained || running.size > 0) busyAt = performance.now();
    const limit = options.idleTimeoutMs;
    if (limit === undefined || idleTimedOut || performance.now() - busyAt < limit) return;
    idleTimedOut = true;
    logger.info({ workerId, idleMs: limit }, "worker idle past its limit");
    options.onIdleTimeout?.();
  }

  async function loop() {
    let idleRounds = 0;
    while (!stopping) {
      const waiters = idleWaiters;
      idleWaiters = [];
      let drained = false;
      try {
        const result = await poll();
        drained = result.drained;
        idleRounds = result.claimed > 0 ? 0 : idleRounds + 1;
      } catch (error) {
        logger.error({ error }, "polling the queue failed");
        idleRounds += 1;
      }

      if (drained && running.size === 0) for (const resolve of waiters) resolve();
      else idleWaiters.push(...waiters);
      checkIdleTimeout(drained);
      const backOff = Math.min(maxPollMs, pollMs * 2 ** Math.max(0, idleRounds - 1));
      const untilIdleLimit =
        options.idleTimeoutMs === undefined || idleTimedOut
          ? backOff
          : Math.max(1, options.idleTimeoutMs - (performance.now() - busyAt));
      await wakeUp.sleep(Math.min(backOff, untilIdleLimit));
    }
  }

  // On Postgres, jobs queued by other processes wake this worker at once; polling stays the
  // safety net (expired leases, a lost LISTEN connection), so failing to listen is not fatal.
  // The first look at the queue comes after LISTEN holds, so no job falls between the two.
  const listening =
    options.listen === false
      ? Promise.resolve(null)
      : listenForQueuedJobs(db, () => wakeUp.wake()).catch((error) => {
          logger.warn({ error }, "cannot LISTEN for new jobs; finding them by polling only");
          return null;
        });
  const looping = listening.then(() => loop());
  logger.info({ workerId, concurrency: options.concurrency }, "worker started");

  let stopped: Promise<void> | undefined;
  async function shutdown() {
    stopping = true;
    wakeUp.wake();
    await (await listening)?.().catch((error) => logger.warn({ error }, "UNLISTEN failed"));
    await looping;
    for (const timer of retryTimers) clearTimeout(timer);

    const finished = Promise.all([...running.values()].map((job) => job.done));
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    const graceOver = new Promise<"grace over">((resolve) => {
      graceTimer = setTimeout(() => resolve("grace over"), graceMs);
    });
    const first = await Promise.race([finished, graceOver]);
    clearTimeout(graceTimer);
    if (first === "grace over") {
      logger.warn({ jobs: [...running.keys()] }, "grace period over; releasing running jobs");
      for (const job of running.values()) job.interrupt("shutdown");
      await finished;
    }

    if (!options.ocr) await ocr.close();
    for (const resolve of idleWaiters.splice(0)) resolve();
    metrics.workerShutdown();
    logger.info({ workerId }, "worker stopped");
  }

  return {
    id: workerId,
    stop() {
      stopped ??= shutdown();
      return stopped;
    },
    wake: () => wakeUp.wake(),
    idle() {
      if (stopping) return Promise.resolve();
      const idle = new Promise<void>((resolve) => idleWaiters.push(resolve));
      wakeUp.wake();
      return idle;
    },
  };
}
