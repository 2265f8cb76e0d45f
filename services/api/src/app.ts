/** The Elysia application: error shape, request metrics, OpenAPI and every route group. */

import { AppError } from "@crpipeline/errors";
import { openapi } from "@elysiajs/openapi";
import { Elysia } from "elysia";
import { z } from "zod";
import type { ApiDeps } from "./deps.ts";
import { limitHeadersOf } from "./http/auth.ts";
import { errorResponse, toAppError } from "./http/errors.ts";
import { observability } from "./http/observe.ts";
import { apiKeyRoutes } from "./routes/api-keys.ts";
import { authRoutes } from "./routes/auth.ts";
import { documentRoutes } from "./routes/documents.ts";
import { healthRoutes } from "./routes/health.ts";
import { jobRoutes } from "./routes/jobs.ts";
import { pipelineRoutes } from "./routes/pipelines.ts";
import { settingsRoutes } from "./routes/settings.ts";
import { tenancyRoutes } from "./routes/tenancy.ts";

export interface AppOptions {
  /**
   * Request metrics and the access log (default on). Only benchmarks turn it off, to measure
   * what the instrumentation costs per request.
   */
  instrument?: boolean;
}

/** JSON bodies are small settings and definitions; uploads (multipart) have their own limit. */
export const MAX_JSON_BYTES = 1024 * 1024;

/**
 * Runs as the first parser, before any body is read, and throws so that the refusal takes the
 * error path and is counted under its route like any other answer.
 */
function refuseLargeJson(request: Request): undefined {
  if ((request.headers.get("content-type") ?? "").startsWith("multipart/form-data")) return;
  const length = Number(request.headers.get("content-length") ?? "0");
  if (length <= MAX_JSON_BYTES) return;
  throw new AppError("too_large", `Request body is larger than ${MAX_JSON_BYTES} bytes`, 413);
}

export function createApp(deps: ApiDeps, { instrument = true }: AppOptions = {}) {
  const logger = deps.logger.child("http");
  return (
    new Elysia()
      .use(instrument ? observability(deps.metrics, logger) : new Elysia())
      .onParse({ as: "global" }, ({ request }) => refuseLargeJson(request))
      // Every answer to an authenticated request carries its caller's RateLimit-* headers,
      // errors after authentication (403, 404, …) included; a 429 brings its own.
      .onAfterHandle({ as: "global" }, ({ request, set }) => {
        Object.assign(set.headers, limitHeadersOf(request));
      })
      .onError({ as: "global" }, ({ code, error, set, request }) => {
        const appError = toAppError(code, error, logger);
        set.status = appError.status;
        const response = errorResponse(appError);
        for (const [name, value] of Object.entries(limitHeadersOf(request) ?? {})) {
          if (!response.headers.has(name)) response.headers.set(name, value);
        }
        return response;
      })
      .use(
        openapi({
          path: "/api/docs",
          specPath: "/api/openapi.json",
          mapJsonSchema: { zod: z.toJSONSchema },
          documentation: {
            info: {
              title: "crPipeline API",
              version: "0.1.0",
              description:
                "Multi-tenant document pipeline. Authenticate with a session token " +
                "(Authorization: Bearer, or the crp_session cookie) or an API key (X-API-Key).",
            },
          },
        }),
      )
      .use(healthRoutes(deps))
      .use(authRoutes(deps))
      .use(tenancyRoutes(deps))
      .use(apiKeyRoutes(deps))
      .use(pipelineRoutes(deps))
      .use(documentRoutes(deps))
      .use(jobRoutes(deps))
      .use(settingsRoutes(deps))
  );
}

export type App = ReturnType<typeof createApp>;

/** Route templates the app serves, for pre-initialising the HTTP counters. */
export function routeTemplates(app: App): { method: string; route: string }[] {
  return app.routes
    .filter((r) => r.path.startsWith("/api/") || r.path.endsWith("z"))
    .map((r) => ({ method: r.method, route: r.path }));
}
