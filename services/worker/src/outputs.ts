/** Stores a stage's files in S3 next to the job and lists them on the job as stage outputs. */

import {
  type Database,
  deleteStageOutputs,
  listStageOutputs,
  type StageOutput,
  upsertStageOutput,
} from "@crpipeline/db";
import type { StageType } from "@crpipeline/pipeline";
import type { ObjectStore } from "@crpipeline/storage";
import type { OutputFile } from "./stages/types.ts";

/** `orgs/<org>/jobs/<job>/<n>-<stage>.<ext>`, n being the stage's index from 0. */
export function outputKey(
  job: { orgId: string; id: string },
  index: number,
  stage: StageType,
  ext: string,
): string {
  return `orgs/${job.orgId}/jobs/${job.id}/${index}-${stage}.${ext}`;
}

/**
 * Puts every file, then records it. A re-run (after a lease expiry or a retry) writes the same
 * keys and replaces the rows, so outputs are never duplicated.
 */
export async function storeOutputs(
  deps: { db: Database; store: ObjectStore },
  job: { orgId: string; id: string },
  index: number,
  stage: StageType,
  files: OutputFile[],
): Promise<StageOutput[]> {
  const stored: StageOutput[] = [];
  for (const file of files) {
    const storageKey = outputKey(job, index, stage, file.ext);
    const { size } = await deps.store.put(storageKey, file.body, {
      contentType: file.contentType,
      contentLength: file.body.byteLength,
    });
    stored.push(
      await upsertStageOutput(deps.db, {
        jobId: job.id,
        orgId: job.orgId,
        index,
        stage,
        name: file.name,
        storageKey,
        contentType: file.contentType,
        size,
      }),
    );
  }
  return stored;
}

/**
 * A job that runs again (re-claimed, requeued or retried) starts from its first stage, so what
 * an earlier run stored goes first: otherwise a run that stops sooner than the last one would
 * still list that run's later outputs as its own. Objects go before rows, so a failure half-way
 * leaves rows that the new run rewrites rather than objects nothing names. Returns how many.
 */
export async function discardEarlierOutputs(
  deps: { db: Database; store: ObjectStore },
  job: { orgId: string; id: string },
): Promise<number> {
  const earlier = await listStageOutputs(deps.db, job.orgId, job.id);
  if (earlier.length === 0) return 0;
  for (const output of earlier) await deps.store.delete(output.storageKey);
  await deleteStageOutputs(deps.db, job.orgId, job.id);
  return earlier.length;
}
