/** `bun run migrate`: applies pending migrations to the configured database and exits. */

import { databaseUrl, loadConfigOrExit } from "@crpipeline/config";
import { createLogger } from "@crpipeline/log";
import { createDatabase } from "./database.ts";
import { migrate } from "./migrate.ts";

const config = loadConfigOrExit();
const logger = createLogger("migrate", { level: config.logLevel });
const db = await createDatabase({ url: databaseUrl(config), logger });

try {
  const { applied } = await migrate(db);
  if (applied.length === 0) logger.info({ engine: db.engine }, "schema is up to date");
  for (const id of applied) logger.info({ engine: db.engine, migration: id }, "migration applied");
} catch (error) {
  logger.error({ error }, "migration failed");
  process.exitCode = 1;
} finally {
  await db.close();
}
