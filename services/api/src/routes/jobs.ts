/** Jobs: create, list, inspect with outputs, cancel, retry, download a stage output, SSE events. */

import {
  cancelJob,
  getDocument,
  getJob,
  getStageOutput,
  JOB_STATUSES,
  listJobs,
  retryJob,
} from "@crpipeline/db";
import { notFound } from "@crpipeline/errors";
import { Elysia } from "elysia";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { sseResponse } from "../events/sse.ts";
import { auditor } from "../http/audit.ts";
import { authorize, clientAddress } from "../http/auth.ts";
import { sortQuery } from "../http/paging.ts";
import { presentJob, presentPage } from "../present.ts";
import { downloadResponse } from "./download.ts";
import { queueJob } from "./queue-job.ts";

const idParams = z.object({ id: z.string().min(1).max(64) });

const lastEventId = (request: Request) => {
  const raw = request.headers.get("last-event-id");
  return raw && /^\d+$/.test(raw) ? Number(raw) : undefined;
};

export function jobRoutes(deps: ApiDeps) {
  const { db, store } = deps;

  const audit = auditor(db, deps.config.trustProxyHops);

  return new Elysia({ prefix: "/api" })
    .post(
      "/jobs",
      async ({ request, body, server, set }) => {
        const caller = await authorize(request, deps);
        const document = await getDocument(db, caller.orgId, body.documentId);
        if (!document) throw notFound("Document");
        const job = await queueJob(
          deps,
          caller,
          document.id,
          body.pipelineId,
          clientAddress(request, server, deps.config.trustProxyHops),
        );
        set.status = 201;
        return { job: presentJob(job) };
      },
      {
        body: z.strictObject({
          documentId: z.string().min(1).max(64),
          pipelineId: z.string().min(1).max(64),
        }),
      },
    )
    .get(
      "/jobs",
      async ({ request, query }) => {
        const caller = await authorize(request, deps);
        return presentPage(await listJobs(db, caller.orgId, query), presentJob);
      },
      {
        query: z.object({
          ...sortQuery(["createdAt", "updatedAt"] as const),
          status: z.enum(JOB_STATUSES).optional(),
          documentId: z.string().max(64).optional(),
        }),
      },
    )
    .get(
      "/jobs/:id",
      async ({ request, params }) => {
        const caller = await authorize(request, deps);
        const job = await getJob(db, caller.orgId, params.id);
        if (!job) throw notFound("Job");
        return { job: presentJob(job) };
      },
      { params: idParams },
    )
    .post(
      "/jobs/:id/cancel",
      async ({ request, params, server }) => {
        const caller = await authorize(request, deps);
        const job = await cancelJob(db, caller.orgId, params.id);
        if (!job) throw notFound("Job");
        // A queued job ends here; a running one ends in its worker, which counts it there.
        if (job.status === "canceled") deps.metrics.jobCanceledInQueue();
        await audit({ request, server }, caller, {
          action: "job.cancel",
          targetType: "job",
          targetId: job.id,
        });
        return { job: presentJob(job) };
      },
      { params: idParams },
    )
    .post(
      "/jobs/:id/retry",
      async ({ request, params, server }) => {
        const caller = await authorize(request, deps);
        const job = await retryJob(db, caller.orgId, params.id);
        if (!job) throw notFound("Job");
        await audit({ request, server }, caller, {
          action: "job.retry",
          targetType: "job",
          targetId: job.id,
        });
        deps.onJobQueued();
        return { job: presentJob(job) };
      },
      { params: idParams },
    )
    .get(
      "/jobs/:id/outputs/:outputId",
      async ({ request, params, server }) => {
        const caller = await authorize(request, deps);
        const output = await getStageOutput(db, caller.orgId, params.id, params.outputId);
        if (!output) throw notFound("Stage output");
        const extension = output.storageKey.split(".").pop() ?? "bin";
        const filename = `${params.id}-${output.index}-${output.stage}.${extension}`;
        const response = await downloadResponse(store, output.storageKey, filename);
        await audit({ request, server }, caller, {
          action: "output.download",
          targetType: "stage_output",
          targetId: output.id,
          details: { jobId: params.id, stage: output.stage, name: output.name },
        });
        return response;
      },
      { params: z.object({ id: z.string().min(1).max(64), outputId: z.string().min(1).max(64) }) },
    )
    .get(
      "/jobs/:id/events",
      async ({ request, params }) => {
        const caller = await authorize(request, deps);
        // Where the stream starts is fixed before the snapshot is read: an event written in
        // between is sent after the snapshot (repeating what it shows, at worst), never lost.
        const after = lastEventId(request) ?? (await deps.events.latestId(caller.orgId));
        const job = await getJob(db, caller.orgId, params.id);
        if (!job) throw notFound("Job");
        return sseResponse({
          hub: deps.events,
          orgId: caller.orgId,
          jobId: job.id,
          lastEventId: after,
          snapshot: presentJob(job),
          closeOnFinal: true,
          signal: request.signal,
        });
      },
      { params: idParams },
    )
    .get("/events", async ({ request }) => {
      const caller = await authorize(request, deps);
      return sseResponse({
        hub: deps.events,
        orgId: caller.orgId,
        lastEventId: lastEventId(request),
        signal: request.signal,
      });
    });
}
