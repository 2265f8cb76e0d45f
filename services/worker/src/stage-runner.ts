/**
 * The base every stage runs through: validate the stage snapshot, check for cancellation, time,
 * log and count each stage, store its outputs, and report progress.
 */

import { type Database, isCancelRequested } from "@crpipeline/db";
import { AppError, isAppError, isRetryable } from "@crpipeline/errors";
import type { Logger } from "@crpipeline/log";
import { type Stage, stageSchema, validate } from "@crpipeline/pipeline";
import type { ObjectStore } from "@crpipeline/storage";
import type { Metrics } from "@crpipeline/telemetry";
import type { JobContext } from "./job-context.ts";
import { storeOutputs } from "./outputs.ts";
import type { ProgressReporter } from "./progress.ts";
import type { Processors, StageProcessor, StageResult } from "./stages/types.ts";

export interface StageRunnerDeps {
  db: Database;
  store: ObjectStore;
  metrics: Metrics;
  logger: Logger;
  processors: Processors;
}

export type StagesOutcome = "succeeded" | "canceled";

/** The job's snapshot as typed stages; a 400 naming the stage when one is not valid any more. */
export function parseStages(snapshot: unknown[]): Stage[] {
  if (snapshot.length === 0) {
    throw new AppError("validation_failed", "The job's pipeline has no stages", 400);
  }
  return snapshot.map((raw, index) => validate(stageSchema, raw, `stage ${index}`));
}

/** Keeps the cause's code, status and retry hint, and says which stage failed. */
function stageFailed(index: number, count: number, stage: Stage, error: unknown): AppError {
  const message = error instanceof Error ? error.message : String(error);
  const where = `Stage ${index + 1} of ${count} (${stage.type})`;
  if (isAppError(error)) {
    return new AppError(error.code, `${where}: ${message}`, error.status, {
      retryable: error.retryable,
      details: error.details,
      cause: error,
    });
  }
  return new AppError("stage_failed", `${where}: ${message}`, 500, {
    retryable: isRetryable(error),
    cause: error,
  });
}

function runOne(processors: Processors, run: Parameters<StageProcessor<Stage>["run"]>[0]) {
  // The registry is keyed by type, so the processor always matches the stage it is given.
  const processor = processors[run.stage.type] as StageProcessor<Stage>;
  return processor.run(run);
}

/** Runs every stage in order; throws the first stage's failure (wrapped by `stageFailed`). */
export async function runStages(
  deps: StageRunnerDeps,
  run: { context: JobContext; signal: AbortSignal; progress: ProgressReporter },
): Promise<StagesOutcome> {
  const { context, signal, progress } = run;
  const { job } = context;
  const stages = parseStages(job.stages);

  for (const [index, stage] of stages.entries()) {
    signal.throwIfAborted();
    if (await isCancelRequested(deps.db, job.id)) return "canceled";
    progress.report(index, 0);

    const log = { jobId: job.id, stage: stage.type, index };
    const begun = performance.now();
    const seconds = () => (performance.now() - begun) / 1000;
    let result: StageResult;
    try {
      result = await runOne(deps.processors, {
        stage,
        index,
        job: context,
        signal,
        reportProgress: (fraction) => progress.report(index, fraction),
      });
      signal.throwIfAborted();
      await storeOutputs(deps, job, index, stage.type, result.files);
    } catch (error) {
      // A stage stopped by the worker itself (lease lost, shutdown) did not fail on its own.
      if (signal.aborted) throw signal.reason;
      deps.metrics.stageFinished(stage.type, "failed", seconds());
      const failure = stageFailed(index, stages.length, stage, error);
      deps.logger.warn(
        { ...log, seconds: seconds(), code: failure.code, error: failure },
        "stage failed",
      );
      throw failure;
    }

    context.results[index] = result.value;
    deps.metrics.stageFinished(stage.type, "succeeded", seconds());
    deps.logger.info(
      { ...log, seconds: seconds(), files: result.files.map((f) => f.name) },
      "stage finished",
    );
    progress.report(index, 1);
  }
  await progress.flush();
  return "succeeded";
}
