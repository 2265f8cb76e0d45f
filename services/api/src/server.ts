/** Starts the API over a runtime: auth, rate limiting, event hub, admin bootstrap, HTTP server. */

import { createTokenService } from "@crpipeline/auth";
import { createRateLimiter } from "@crpipeline/ratelimit";
import type { Runtime } from "@crpipeline/runtime";
import { createApp, MAX_JSON_BYTES, routeTemplates } from "./app.ts";
import { bootstrapAdmin } from "./bootstrap.ts";
import type { ApiDeps } from "./deps.ts";
import { createEventHub } from "./events/hub.ts";
import { startMaintenance } from "./maintenance.ts";

const SESSION_SECONDS = 12 * 60 * 60;

export interface StartApiOptions {
  onJobQueued?: () => void;
  /** Overrides API_PORT (tests pass 0). */
  port?: number;
}

/** How long `stop()` lets requests in flight finish before their connections are closed. */
export const STOP_GRACE_MS = 10_000;

export interface RunningApi {
  port: number;
  url: string;
  /**
   * Stops taking connections, lets requests in flight finish for up to `graceMs`, then closes
   * what is still open (a client still sending a body the API refused, say).
   */
  stop(graceMs?: number): Promise<void>;
}

export async function buildApiDeps(
  runtime: Runtime,
  options: StartApiOptions = {},
): Promise<ApiDeps> {
  const { config, logger, metrics, db, store, secrets } = runtime;
  return {
    config,
    logger,
    metrics,
    db,
    store,
    secrets,
    tokens: createTokenService({
      secret: runtime.jwtSecret,
      issuer: "crpipeline",
      audience: "crpipeline-api",
      ttlSeconds: SESSION_SECONDS,
    }),
    limiter: createRateLimiter({ config, metrics, logger: logger.child("ratelimit") }),
    events: createEventHub(db, logger.child("events")),
    onJobQueued: options.onJobQueued ?? (() => {}),
    sessionSeconds: SESSION_SECONDS,
  };
}

export async function startApi(
  runtime: Runtime,
  options: StartApiOptions = {},
): Promise<RunningApi> {
  const deps = await buildApiDeps(runtime, options);
  await bootstrapAdmin(deps);
  const app = createApp(deps);
  deps.metrics.declareRoutes(routeTemplates(app));
  const maintenance = startMaintenance({
    db: runtime.db,
    store: runtime.store,
    logger: runtime.logger.child("maintenance"),
  });
  void maintenance.run();

  const { config, logger } = runtime;
  app.listen({
    hostname: config.apiHost,
    port: options.port ?? config.apiPort,
    // Bun refuses bodies past this with a bare 413 before any handler runs. Keep it above both
    // of the API's own limits (uploads while streaming, JSON by Content-Length) so those answer
    // first, with the error shape, for any body up to 16 MiB past them.
    maxRequestBodySize: Math.max(config.maxUploadBytes, MAX_JSON_BYTES) + 16 * 1024 * 1024,
    idleTimeout: 120,
  });
  const server = app.server;
  if (!server) throw new Error(`cannot listen on ${config.apiHost}:${config.apiPort}`);
  const host = config.apiHost === "0.0.0.0" ? "127.0.0.1" : config.apiHost;
  const url = `http://${host}:${server.port}`;
  logger.info({ url }, "api listening");

  return {
    port: server.port ?? 0,
    url,
    async stop(graceMs = STOP_GRACE_MS) {
      maintenance.stop();
      deps.events.stop();
      const graceful = app.stop();
      const drained = await Promise.race([
        graceful.then(() => true),
        Bun.sleep(graceMs).then(() => false),
      ]);
      if (!drained) {
        logger.warn({ graceMs }, "closing connections still open after the grace period");
        await server.stop(true);
        await graceful;
      }
      deps.limiter.close();
    },
  };
}
