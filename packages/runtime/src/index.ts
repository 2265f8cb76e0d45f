/** The composition root every entry point shares: config → logs → metrics → database → storage. */

import { orgSecretBox, resolveJwtSecret } from "@crpipeline/auth";
import { type Config, databaseUrl, loadConfigOrExit } from "@crpipeline/config";
import { createDatabase, type Database, migrate, type SecretBox } from "@crpipeline/db";
import { createLogger, type Logger } from "@crpipeline/log";
import { type ObjectStore, type OpenedStorage, openStorage } from "@crpipeline/storage";
import { createTelemetry, listenOrExit, type Metrics, type Telemetry } from "@crpipeline/telemetry";

export interface Runtime {
  config: Config;
  logger: Logger;
  telemetry: Telemetry;
  metrics: Metrics;
  db: Database;
  store: ObjectStore;
  storage: OpenedStorage;
  /** JWT_SECRET, or the one generated once under DATA_DIR: signs sessions. */
  jwtSecret: Uint8Array;
  /** Seals and opens organisations' stored secrets; the same key in every process. */
  secrets: SecretBox;
  /** Closes storage, the database and telemetry (flushing OTLP), in that order. */
  close(): Promise<void>;
}

export interface OpenRuntimeOptions {
  config: Config;
  logger: Logger;
  /** Binds `/metrics` (exiting loudly when the port is taken). Tests pass false. */
  serveMetrics?: boolean;
  /** Apply migrations at start-up (the default); `bun run migrate` does it for deployments. */
  migrate?: boolean;
}

export async function openRuntime(options: OpenRuntimeOptions): Promise<Runtime> {
  const { config, logger } = options;
  const telemetry = createTelemetry(config, logger.child("telemetry"));
  if (options.serveMetrics ?? true) listenOrExit(telemetry, logger);
  const metrics = telemetry.metrics;

  const db = await createDatabase({ url: databaseUrl(config), logger: logger.child("db") });
  try {
    if (options.migrate ?? true) {
      const { applied } = await migrate(db);
      if (applied.length > 0) logger.info({ applied }, "database migrated");
    }
    const jwtSecret = await resolveJwtSecret({ config, logger: logger.child("auth") });
    const storage = await openStorage({ config, metrics, logger: logger.child("storage") });
    return {
      config,
      logger,
      telemetry,
      metrics,
      db,
      store: storage.store,
      storage,
      jwtSecret,
      secrets: orgSecretBox(config.secretsKey, jwtSecret),
      async close() {
        await storage.close();
        await db.close();
        await telemetry.shutdown();
      },
    };
  } catch (error) {
    await db.close();
    await telemetry.shutdown();
    throw error;
  }
}

/**
 * Runs an entry point: loads the config (exit 78 on a bad value), calls `start`, and on
 * SIGINT/SIGTERM, or when the program calls `exit` itself, calls the returned `stop` once, then
 * exits 0 (1 when stopping fails). A start-up failure exits 1.
 */
export async function runMain(
  name: string,
  start: (
    config: Config,
    logger: Logger,
    exit: (reason: string) => void,
  ) => Promise<{ stop(): Promise<void> }>,
): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(name, { level: config.logLevel });
  let running: { stop(): Promise<void> } | undefined;
  let stopping = false;
  let asked: string | undefined;
  async function shutdown(reason: string) {
    if (!running) {
      asked ??= reason; // still starting: stop once it has
      return;
    }
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, "shutting down");
    try {
      await running.stop();
      process.exit(0);
    } catch (error) {
      logger.error({ error }, "shutdown failed");
      process.exit(1);
    }
  }
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  try {
    running = await start(config, logger, (reason) => void shutdown(reason));
  } catch (error) {
    logger.error({ error }, "start-up failed");
    process.stderr.write(`${name}: start-up failed: ${(error as Error).message}\n`);
    process.exit(1);
  }
  if (asked) await shutdown(asked);
}
