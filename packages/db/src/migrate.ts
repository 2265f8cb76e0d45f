/** Applies pending migrations once, safely when several processes start at the same time. */

import type { Database, Executor } from "./database.ts";
import { migrations as allMigrations, type Migration } from "./migrations/index.ts";

// Any constant works; it only has to be the same in every process of this application.
const MIGRATION_LOCK = 7_245_318_001;

export interface MigrateResult {
  applied: string[];
}

/**
 * Brings the schema up to date in one transaction. Postgres: an advisory lock makes a second
 * process wait, then find nothing to do. SQLite: BEGIN IMMEDIATE does the same through the file.
 */
export async function migrate(
  db: Database,
  migrations: readonly Migration[] = allMigrations,
): Promise<MigrateResult> {
  return db.transaction(async (tx) => {
    if (tx.engine === "postgres") await tx.sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx.sql.unsafe(
      "CREATE TABLE IF NOT EXISTS schema_migrations " +
        "(id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    );
    const done = new Set(
      (await tx.sql<{ id: string }>`SELECT id FROM schema_migrations`).map((r) => r.id),
    );

    const applied: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.id)) continue;
      await apply(tx, migration);
      applied.push(migration.id);
    }
    return { applied };
  });
}

async function apply(tx: Executor, migration: Migration): Promise<void> {
  for (const statement of migration.statements(tx.engine)) await tx.sql.unsafe(statement);
  await tx.sql`
    INSERT INTO schema_migrations (id, applied_at) VALUES (${migration.id}, ${Date.now()})`;
}

/** Ids of the migrations recorded as applied, in order. */
export async function appliedMigrations(db: Executor): Promise<string[]> {
  const rows = await db.sql<{ id: string }>`SELECT id FROM schema_migrations ORDER BY id`;
  return rows.map((r) => r.id);
}
