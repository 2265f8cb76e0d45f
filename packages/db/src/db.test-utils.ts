/** Test helpers: a fresh, migrated database on each engine (SQLite file, Postgres database). */

import { afterAll, afterEach, beforeAll, beforeEach, describe } from "bun:test";
import { silentLogger } from "@crpipeline/log";
import { POSTGRES_URL, requireService, tempDir } from "@crpipeline/testing";
import { SQL } from "bun";
import { createDatabase, type Database, type Engine } from "./database.ts";
import { createDocument, newDocumentId } from "./documents.repository.ts";
import { createJob } from "./jobs.repository.ts";
import { migrate } from "./migrate.ts";
import { createOrganisation } from "./organisations.repository.ts";
import { createUser } from "./users.repository.ts";

export const ENGINES: readonly Engine[] = ["sqlite", "postgres"];

/** Probed once per test process; under CI=true a missing Postgres throws here (a failure). */
export const postgresAvailable: boolean = await requireService("postgres", async () => {
  const sql = new SQL({ url: POSTGRES_URL, max: 1, connectionTimeout: 3 });
  try {
    await sql`SELECT 1`;
  } finally {
    await sql.close();
  }
});

export interface TestDatabase {
  engine: Engine;
  /** Migrated unless `migrate: false` was asked for. */
  db: Database;
  /** Pass to `createDatabase` (or a service's config) to reach the same database. */
  url: string;
  /** Another client (its own pool / connection) on the same database; closed by `cleanup`. */
  connect(): Promise<Database>;
  /** Closes every client and removes the database (DROP DATABASE / the temp dir). */
  cleanup(): Promise<void>;
}

function postgresUrlFor(database: string): string {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * A new empty database: a SQLite file in a temp dir, or `crp_test_<random>` created on the
 * server at POSTGRES_URL. Call `cleanup()` when done.
 */
export async function createTestDatabase(
  engine: Engine,
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  const clients: Database[] = [];
  let url: string;
  let drop: () => Promise<void>;

  if (engine === "sqlite") {
    const dir = tempDir("crp-db-");
    url = `sqlite://${dir.path}/test.sqlite`;
    drop = async () => dir.cleanup();
  } else {
    const name = `crp_test_${crypto.randomUUID().replaceAll("-", "")}`;
    const admin = new SQL({ url: POSTGRES_URL, max: 1 });
    await admin.unsafe(`CREATE DATABASE ${name}`);
    url = postgresUrlFor(name);
    drop = async () => {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
    };
  }

  const connect = async () => {
    const db = await createDatabase({ url, logger: silentLogger });
    clients.push(db);
    return db;
  };
  const db = await connect();
  if (options.migrate !== false) await migrate(db);

  return {
    engine,
    db,
    url,
    connect,
    cleanup: async () => {
      for (const client of clients) await client.close();
      await drop();
    },
  };
}

export interface EngineSuiteOptions {
  /** "each": a new database per test (queue tests); "all": one per engine block (default). */
  fresh?: "each" | "all";
  migrate?: boolean;
}

/**
 * Runs the same tests once per engine, as `name [sqlite]` and `name [postgres]`. The body gets
 * a getter for the current database (valid inside tests and hooks):
 *
 *   describeEachEngine("pipelines", (current) => {
 *     test("…", async () => { const { db } = current(); … });
 *   });
 *
 * The Postgres block is skipped (with a warning) when no server answers, and fails under CI.
 */
export function describeEachEngine(
  name: string,
  body: (current: () => TestDatabase) => void,
  options: EngineSuiteOptions = {},
): void {
  for (const engine of ENGINES) {
    const skip = engine === "postgres" && !postgresAvailable;
    describe.skipIf(skip)(`${name} [${engine}]`, () => {
      let testDb: TestDatabase | undefined;
      const setUp = async () => {
        testDb = await createTestDatabase(engine, { migrate: options.migrate });
      };
      const tearDown = async () => {
        await testDb?.cleanup();
        testDb = undefined;
      };
      if (options.fresh === "each") {
        beforeEach(setUp);
        afterEach(tearDown);
      } else {
        beforeAll(setUp);
        afterAll(tearDown);
      }
      body(() => {
        if (!testDb) throw new Error("the test database exists only inside tests and hooks");
        return testDb;
      });
    });
  }
}

let seedCounter = 0;

/** An organisation with one org_admin user, named uniquely so suites can share a database. */
export async function seedTenant(db: Database, label = "org") {
  seedCounter += 1;
  const unique = `${label}-${seedCounter}-${crypto.randomUUID().slice(0, 8)}`;
  const org = await createOrganisation(db, { name: unique });
  const user = await createUser(db, {
    orgId: org.id,
    email: `admin@${unique}.test`,
    passwordHash: "hash",
    role: "org_admin",
  });
  return { org, user };
}

/** A document row of `orgId` (no object behind it; the data layer never reads the bytes). */
export async function seedDocument(db: Database, orgId: string, name = "file.txt", size = 10) {
  const id = newDocumentId();
  return createDocument(db, {
    id,
    orgId,
    uploadedBy: null,
    name,
    contentType: "text/plain",
    size,
    sha256: "0".repeat(64),
    storageKey: `orgs/${orgId}/documents/${id}/original`,
  });
}

/** A queued one-stage job (parse) on a new document of `orgId`. */
export async function seedJob(db: Database, orgId: string, maxAttempts = 3) {
  const document = await seedDocument(db, orgId);
  return createJob(db, {
    orgId,
    documentId: document.id,
    pipelineId: null,
    pipelineName: "adhoc",
    stages: [{ type: "parse" }],
    maxAttempts,
  });
}
