/** Opens the database (SQLite file or Postgres) behind one small interface the repositories use. */

import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { unavailable } from "@crpipeline/errors";
import type { Logger } from "@crpipeline/log";
import { SQL } from "bun";
import { acquireGate, type SqliteGate } from "./sqlite-gate.ts";

export type Engine = "sqlite" | "postgres";

export type Row = Record<string, unknown>;
export type Result<T = Row> = T[] & { count: number; affectedRows: number };

/**
 * The part of Bun.SQL the data layer uses: tagged-template queries, `sql(value)` helpers
 * (identifiers, `IN` lists, insert objects) and `unsafe(text, params)` with `$1` placeholders.
 */
export interface Sql {
  <T = Row>(strings: TemplateStringsArray, ...values: unknown[]): Promise<Result<T>>;
  // biome-ignore lint/suspicious/noExplicitAny: Bun's helper type is deliberately open
  (value: any, ...columns: string[]): unknown;
  unsafe<T = Row>(text: string, params?: unknown[]): Promise<Result<T>>;
}

/** What a query needs: the engine (for the few dialect branches) and a client. */
export interface Executor {
  readonly engine: Engine;
  readonly sql: Sql;
}

export interface Database extends Executor {
  /**
   * Runs `body` in one transaction (SQLite: BEGIN IMMEDIATE). Inside, use only `tx.sql`:
   * on SQLite a query on `db.sql` waits for the transaction and would deadlock it.
   */
  transaction<T>(body: (tx: Executor) => Promise<T>): Promise<T>;
  /**
   * Postgres only: calls `onNotify` for each NOTIFY on `channel`, over a dedicated connection
   * that reconnects by itself; resolves to the function that stops listening.
   */
  listen?(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface CreateDatabaseOptions {
  /** `sqlite://path`, `sqlite://:memory:`, a plain file path, or `postgres://…`. */
  url: string;
  logger: Logger;
  /** Postgres pool size. */
  maxConnections?: number;
  /** SQLite: how long a write waits for another process's lock, in ms. */
  busyTimeoutMs?: number;
}

export function engineOf(url: string): Engine {
  return /^postgres(ql)?:\/\//i.test(url) ? "postgres" : "sqlite";
}

export async function createDatabase(options: CreateDatabaseOptions): Promise<Database> {
  return engineOf(options.url) === "postgres" ? openPostgres(options) : openSqlite(options);
}

async function openPostgres(options: CreateDatabaseOptions): Promise<Database> {
  const raw = new SQL({
    url: options.url,
    max: options.maxConnections ?? 10,
    connectionTimeout: 10,
  });
  try {
    await raw`SELECT 1`;
  } catch (error) {
    await raw.close({ timeout: 0 });
    throw unavailable("database", error);
  }
  options.logger.info({ engine: "postgres" }, "database opened");
  const sql = raw as unknown as Sql;
  return {
    engine: "postgres",
    sql,
    transaction: (body) =>
      raw.begin((tx) => body({ engine: "postgres", sql: tx as unknown as Sql })) as Promise<never>,
    async listen(channel, onNotify) {
      const subscription = await raw.listen(channel, onNotify);
      return () => subscription.unlisten();
    },
    close: () => raw.close({ timeout: 5 }),
  };
}

/** For readiness checks: resolves when the database answers, else a 503 AppError. */
export async function pingDatabase(db: Executor): Promise<void> {
  try {
    await db.sql`SELECT 1`;
  } catch (error) {
    throw unavailable("database", error);
  }
}

/** `sqlite://./data/x.sqlite` → `./data/x.sqlite`; `sqlite:///abs` → `/abs`; a path stays. */
export function sqliteFilename(url: string): string {
  const path = url.replace(/^sqlite:\/\//i, "").replace(/^file:(\/\/)?/i, "");
  return path === "" ? ":memory:" : path;
}

async function openSqlite(options: CreateDatabaseOptions): Promise<Database> {
  const file = sqliteFilename(options.url);
  const filename = file === ":memory:" ? file : resolve(file);
  if (filename !== ":memory:") mkdirSync(dirname(filename), { recursive: true });

  const raw = new SQL({ adapter: "sqlite", filename });
  await raw`PRAGMA journal_mode = WAL`;
  await raw`PRAGMA foreign_keys = ON`;
  await raw.unsafe(`PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
  // WAL with NORMAL sync is durable against process crashes, only not against power loss.
  await raw`PRAGMA synchronous = NORMAL`;

  const { gate, release } = acquireGate(filename);
  options.logger.info({ engine: "sqlite", filename }, "database opened");

  return {
    engine: "sqlite",
    sql: gatedSql(raw, gate),
    transaction: (body) =>
      gate.transaction(
        () =>
          raw.begin("IMMEDIATE", (tx) =>
            body({ engine: "sqlite", sql: tx as unknown as Sql }),
          ) as Promise<never>,
      ),
    close: async () => {
      release();
      await raw.close();
    },
  };
}

function isTemplate(value: unknown): value is TemplateStringsArray {
  return Array.isArray(value) && "raw" in value;
}

/** The SQLite client whose queries wait for an open transaction (see sqlite-gate.ts). */
function gatedSql(raw: SQL, gate: SqliteGate): Sql {
  // execute() starts the query at once; the gate calls it only when no transaction is open.
  const run = (query: SQL.Query<unknown>) => gate.query(() => query.execute());
  return new Proxy(raw, {
    apply(target, thisArg, args) {
      const made = Reflect.apply(target as unknown as () => unknown, thisArg, args);
      return isTemplate(args[0]) ? run(made as SQL.Query<unknown>) : made;
    },
    get(target, property) {
      if (property === "unsafe") {
        return (text: string, params?: unknown[]) => run(target.unsafe(text, params));
      }
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as unknown as Sql;
}
