/** Request metrics by route template and one JSON access-log line per request. */

import type { Logger } from "@crpipeline/log";
import type { Metrics } from "@crpipeline/telemetry";
import { Elysia } from "elysia";

const started = new WeakMap<Request, number>();

/** `http_requests_total` and `http_request_duration_seconds`, labelled by the route template. */
export function observability(metrics: Metrics, logger: Logger) {
  return new Elysia({ name: "observability" })
    .onRequest(({ request }) => {
      started.set(request, performance.now());
    })
    .onAfterResponse({ as: "global" }, ({ request, route, set }) => {
      const seconds = (performance.now() - (started.get(request) ?? performance.now())) / 1000;
      // Unmatched paths share one label so scanners cannot create unbounded series.
      const template = route || "unmatched";
      const status = typeof set.status === "number" ? set.status : 200;
      metrics.httpRequest(request.method, template, status, seconds);
      logger.info(
        { method: request.method, route: template, status, ms: Math.round(seconds * 1000) },
        "request",
      );
    });
}
