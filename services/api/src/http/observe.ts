/** Request metrics by route template and one JSON access-log line per request. */

import type { Logger } from "@crpipeline/log";
import type { Metrics } from "@crpipeline/telemetry";
import { Elysia } from "elysia";

const started = new WeakMap<Request, number>();

/**
 * The status the client got: a handler that returns a `Response` sets its status there, not
 * in `set.status`, which then still reads 200.
 */
function sentStatus(responseValue: unknown, setStatus: unknown): number {
  if (responseValue instanceof Response) return responseValue.status;
  return typeof setStatus === "number" ? setStatus : 200;
}

/**
 * `http_requests_total` and `http_request_duration_seconds`, labelled by the route template.
 * Only requests that reach routing are seen here, so refusals belong in a later hook (parse,
 * before handle), never in `onRequest`, whose early answers skip `onAfterResponse`.
 */
export function observability(metrics: Metrics, logger: Logger) {
  return new Elysia({ name: "observability" })
    .onRequest(({ request }) => {
      started.set(request, performance.now());
    })
    .onAfterResponse({ as: "global" }, ({ request, route, set, responseValue }) => {
      const seconds = (performance.now() - (started.get(request) ?? performance.now())) / 1000;
      // Unmatched paths share one label so scanners cannot create unbounded series.
      const template = route || "unmatched";
      const status = sentStatus(responseValue, set.status);
      metrics.httpRequest(request.method, template, status, seconds);
      logger.info(
        { method: request.method, route: template, status, ms: Math.round(seconds * 1000) },
        "request",
      );
    });
}
