/** Pipelines: named, ordered stage lists per organisation, validated precisely on write. */

import { promptPlaceholders } from "@crpipeline/ai";
import {
  createPipeline,
  deletePipeline,
  getPipeline,
  listPipelines,
  updatePipeline,
} from "@crpipeline/db";
import { AppError, notFound } from "@crpipeline/errors";
import { type PipelineDefinition, parsePipeline, pipelineSchema } from "@crpipeline/pipeline";
import { parseTemplate } from "@crpipeline/report";
import { Elysia } from "elysia";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { auditor } from "../http/audit.ts";
import { authorize } from "../http/auth.ts";
import { jsonRequestBody } from "../http/openapi.ts";
import { sortQuery } from "../http/paging.ts";
import { presentPage, presentPipeline } from "../present.ts";

const pipelineBody = jsonRequestBody(
  pipelineSchema,
  "A named, ordered list of stages; each stage's settings are checked on write",
);

/** Schema checks plus what only the stage packages know: prompt placeholders, report templates. */
function validateDefinition(body: unknown): PipelineDefinition {
  const definition = parsePipeline(body);
  definition.stages.forEach((stage, index) => {
    try {
      if (stage.type === "ai" && stage.prompt) promptPlaceholders(stage.prompt);
      if (stage.type === "report" && stage.template) parseTemplate(stage.template);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new AppError(
        "validation_failed",
        `Invalid pipeline: stages[${index}]: ${message}`,
        400,
      );
    }
  });
  return definition;
}

const idParams = z.object({ id: z.string().min(1).max(64) });

export function pipelineRoutes(deps: ApiDeps) {
  const { db } = deps;
  const audit = auditor(db, deps.config.trustProxyHops);

  return new Elysia({ prefix: "/api/pipelines" })
    .get(
      "",
      async ({ request, query }) => {
        const caller = await authorize(request, deps);
        return presentPage(await listPipelines(db, caller.orgId, query), presentPipeline);
      },
      { query: z.object(sortQuery(["createdAt", "updatedAt", "name"] as const)) },
    )
    .post(
      "",
      async ({ request, body, set, server }) => {
        const caller = await authorize(request, deps, "admin", "org_admin");
        const definition = validateDefinition(body);
        const pipeline = await createPipeline(db, { orgId: caller.orgId, ...definition });
        await audit({ request, server }, caller, {
          action: "pipeline.create",
          targetType: "pipeline",
          targetId: pipeline.id,
        });
        set.status = 201;
        return { pipeline: presentPipeline(pipeline) };
      },
      { detail: { requestBody: pipelineBody } },
    )
    .get(
      "/:id",
      async ({ request, params }) => {
        const caller = await authorize(request, deps);
        const pipeline = await getPipeline(db, caller.orgId, params.id);
        if (!pipeline) throw notFound("Pipeline");
        return { pipeline: presentPipeline(pipeline) };
      },
      { params: idParams },
    )
    .put(
      "/:id",
      async ({ request, params, body, server }) => {
        const caller = await authorize(request, deps, "admin", "org_admin");
        const definition = validateDefinition(body);
        const pipeline = await updatePipeline(db, caller.orgId, params.id, {
          ...definition,
          description: definition.description ?? "",
        });
        if (!pipeline) throw notFound("Pipeline");
        await audit({ request, server }, caller, {
          action: "pipeline.update",
          targetType: "pipeline",
          targetId: pipeline.id,
        });
        return { pipeline: presentPipeline(pipeline) };
      },
      { params: idParams, detail: { requestBody: pipelineBody } },
    )
    .delete(
      "/:id",
      async ({ request, params, set, server }) => {
        const caller = await authorize(request, deps, "admin", "org_admin");
        if (!(await deletePipeline(db, caller.orgId, params.id))) throw notFound("Pipeline");
        await audit({ request, server }, caller, {
          action: "pipeline.delete",
          targetType: "pipeline",
          targetId: params.id,
        });
        set.status = 204;
      },
      { params: idParams },
    );
}
