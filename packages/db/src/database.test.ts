import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { AppError } from "@crpipeline/errors";
import { silentLogger } from "@crpipeline/log";
import { freePort, tempDir } from "@crpipeline/testing";
import { createDatabase, engineOf, pingDatabase } from "./database.ts";
import { createTestDatabase, describeEachEngine, postgresAvailable } from "./db.test-utils.ts";
import { appliedMigrations, migrate } from "./migrate.ts";
import { migrations } from "./migrations/index.ts";

describe("createDatabase", () => {
  test("picks the engine from the URL", () => {
    expect(engineOf("postgres://u@h/db")).toBe("postgres");
    expect(engineOf("postgresql://u@h/db")).toBe("postgres");
    expect(engineOf("sqlite://./data/x.sqlite")).toBe("sqlite");
    expect(engineOf("./x.sqlite")).toBe("sqlite");
  });

  test("an unreachable Postgres is a 503 naming the database", async () => {
    const port = await freePort();
    const url = `postgres://postgres@127.0.0.1:${port}/none`;
    const error = await createDatabase({ url, logger: silentLogger }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).status).toBe(503);
    expect((error as AppError).message).toBe("database is unavailable");
  });

  test("ping answers for an open database and is a 503 once it is closed", async () => {
    const dir = tempDir();
    try {
      const db = await createDatabase({ url: `${dir.path}/p.sqlite`, logger: silentLogger });
      await pingDatabase(db);
      await db.close();
      const error = await pingDatabase(db).catch((e: unknown) => e);
      expect((error as AppError).status).toBe(503);
    } finally {
      dir.cleanup();
    }
  });

  test("SQLite: creates the parent directory and turns on WAL and foreign keys", async () => {
    const dir = tempDir();
    try {
      const file = `${dir.path}/nested/deeper/db.sqlite`;
      const db = await createDatabase({ url: `sqlite://${file}`, logger: silentLogger });
      expect(existsSync(file)).toBe(true);
      const [mode] = await db.sql`PRAGMA journal_mode`;
      const [fk] = await db.sql`PRAGMA foreign_keys`;
      const [busy] = await db.sql`PRAGMA busy_timeout`;
      expect(mode?.journal_mode).toBe("wal");
      expect(fk?.foreign_keys).toBe(1);
      expect(Number(busy?.timeout)).toBeGreaterThan(0);
      await db.close();
    } finally {
      dir.cleanup();
    }
  });

  test("SQLite: a query issued while a transaction awaits is not swept into it", async () => {
    const dir = tempDir();
    try {
      const db = await createDatabase({ url: `${dir.path}/g.sqlite`, logger: silentLogger });
      await db.sql`CREATE TABLE t (id TEXT PRIMARY KEY)`;
      const failing = db
        .transaction(async (tx) => {
          await tx.sql`INSERT INTO t (id) VALUES ('inside')`;
          await Bun.sleep(30);
          throw new Error("roll back");
        })
        .catch((error: Error) => error.message);
      await Bun.sleep(5);
      await db.sql`INSERT INTO t (id) VALUES ('outside')`;
      expect(await failing).toBe("roll back");
      const rows = await db.sql<{ id: string }>`SELECT id FROM t`;
      expect(rows.map((r) => r.id)).toEqual(["outside"]);
      await db.close();
    } finally {
      dir.cleanup();
    }
  });
});

describeEachEngine(
  "migrations",
  (current) => {
    test("apply every migration once, then nothing", async () => {
      const { db } = current();
      const first = await migrate(db);
      expect(first.applied).toEqual(migrations.map((m) => m.id));
      const second = await migrate(db);
      expect(second.applied).toEqual([]);
      expect(await appliedMigrations(db)).toEqual(migrations.map((m) => m.id));
    });

    test("two clients migrating at once apply each migration exactly once", async () => {
      const test = current();
      const other = await test.connect();
      const results = await Promise.all([migrate(test.db), migrate(other), migrate(other)]);
      const applied = results.flatMap((r) => r.applied).sort();
      expect(applied).toEqual(migrations.map((m) => m.id).sort());
      expect(await appliedMigrations(other)).toEqual(migrations.map((m) => m.id));
    });
  },
  { fresh: "each", migrate: false },
);

describe.skipIf(!postgresAvailable)("Postgres values", () => {
  test("raw Bun.SQL returns int8 as a string and BOOLEAN as a boolean", async () => {
    const test = await createTestDatabase("postgres");
    try {
      const [row] = await test.db.sql`SELECT count(*) AS n, TRUE AS b`;
      // Raw Bun.SQL: int8 is a string — the reason every repository maps rows.
      expect(typeof row?.n).toBe("string");
      expect(row?.b).toBe(true);
    } finally {
      await test.cleanup();
    }
  });
});
