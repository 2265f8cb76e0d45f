/** @crpipeline/db: the data layer on Bun.SQL (SQLite by default, Postgres for scale-out). */

export * from "./api-keys.repository.ts";
export * from "./audit.repository.ts";
export {
  type CreateDatabaseOptions,
  createDatabase,
  type Database,
  type Engine,
  type Executor,
  engineOf,
  pingDatabase,
  type Result,
  type Row,
  type Sql,
} from "./database.ts";
export * from "./documents.repository.ts";
export * from "./job-events.repository.ts";
export { type FinalJobStatus, JOB_STATUSES, type Job, type JobStatus } from "./jobs.model.ts";
export * from "./jobs.repository.ts";
export { appliedMigrations, type MigrateResult, migrate } from "./migrate.ts";
export * from "./object-journal.repository.ts";
export * from "./organisations.repository.ts";
export {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  type Page,
  type PageRequest,
  type SortOrder,
} from "./pagination.ts";
export * from "./pipelines.repository.ts";
export * from "./queue.ts";
export * from "./queue-signal.ts";
export * from "./revoked-tokens.repository.ts";
export * from "./secret-box.ts";
export * from "./settings.repository.ts";
export * from "./stage-outputs.repository.ts";
export * from "./usage.repository.ts";
export * from "./users.repository.ts";
export { isUniqueViolation, newId } from "./values.ts";
