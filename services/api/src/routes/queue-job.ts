/** Queues a job for a document with a pipeline's current stages, inside the monthly job quota. */

import type { Principal } from "@crpipeline/auth";
import {
  appendAudit,
  createJob,
  getPipeline,
  type Job,
  releaseUsage,
  reserveUsage,
} from "@crpipeline/db";
import { notFound } from "@crpipeline/errors";
import type { ApiDeps } from "../deps.ts";
import { actorOf } from "../http/auth.ts";

export async function queueJob(
  deps: ApiDeps,
  caller: Principal,
  documentId: string,
  pipelineId: string,
  ip: string,
  /** The upload route takes the job's quota before it stores the document. */
  { quotaReserved = false }: { quotaReserved?: boolean } = {},
): Promise<Job> {
  const { db } = deps;
  const pipeline = await getPipeline(db, caller.orgId, pipelineId);
  if (!pipeline) {
    if (quotaReserved) await releaseUsage(db, caller.orgId, "jobs");
    throw notFound("Pipeline");
  }

  if (!quotaReserved) await reserveUsage(db, caller.orgId, "jobs");
  let job: Job;
  try {
    job = await createJob(db, {
      orgId: caller.orgId,
      documentId,
      pipelineId: pipeline.id,
      pipelineName: pipeline.name,
      stages: pipeline.stages,
      maxAttempts: deps.config.jobMaxAttempts,
    });
  } catch (error) {
    await releaseUsage(db, caller.orgId, "jobs");
    throw error;
  }
  await appendAudit(db, {
    orgId: caller.orgId,
    ...actorOf(caller),
    action: "job.create",
    targetType: "job",
    targetId: job.id,
    details: { documentId, pipelineId: pipeline.id },
    ip,
  });
  deps.onJobQueued();
  return job;
}
