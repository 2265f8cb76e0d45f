import { expect, test } from "bun:test";
import { join } from "node:path";
import { POSTGRES_URL } from "@crpipeline/testing";
import { describeEachEngine, seedDocument, seedTenant } from "./db.test-utils.ts";
import { createJob } from "./jobs.repository.ts";
import { appliedMigrations } from "./migrate.ts";
import { migrations } from "./migrations/index.ts";

const packageDir = join(import.meta.dir, "..");

function env(databaseUrl: string): Record<string, string> {
  const { CI, PATH, HOME, TMPDIR } = process.env;
  const base: Record<string, string> = { PATH: PATH ?? "", HOME: HOME ?? "", LOG_LEVEL: "info" };
  if (CI) base.CI = CI;
  if (TMPDIR) base.TMPDIR = TMPDIR;
  return { ...base, DATABASE_URL: databaseUrl, TEST_POSTGRES_URL: POSTGRES_URL };
}

describeEachEngine(
  "separate processes",
  (current) => {
    test("`bun run migrate` applies the schema once and says so", async () => {
      const { url, db } = current();
      const run = () =>
        Bun.spawn(["bun", "src/migrate-cli.ts"], {
          cwd: packageDir,
          env: env(url),
          stdout: "pipe",
        });
      const first = run();
      const out = await new Response(first.stdout).text();
      expect(await first.exited).toBe(0);
      expect(out).toContain('"migration":"001-initial"');
      expect(await appliedMigrations(db)).toEqual(migrations.map((m) => m.id));

      const second = run();
      expect(await new Response(second.stdout).text()).toContain("schema is up to date");
      expect(await second.exited).toBe(0);
    });
  },
  { fresh: "each", migrate: false },
);

describeEachEngine(
  "claims from separate processes",
  (current) => {
    test("three worker processes drain the queue without claiming a job twice", async () => {
      const { db, url } = current();
      const { org } = await seedTenant(db);
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) {
        const doc = await seedDocument(db, org.id);
        const job = await createJob(db, {
          orgId: org.id,
          documentId: doc.id,
          pipelineId: null,
          pipelineName: "p",
          stages: [],
          maxAttempts: 3,
        });
        ids.push(job.id);
      }
      const children = ["p1", "p2", "p3"].map((worker) =>
        Bun.spawn(["bun", "test/claim-loop.ts", url, worker], {
          cwd: packageDir,
          env: env(url),
          stdout: "pipe",
        }),
      );
      const outputs = await Promise.all(
        children.map(async (child) => {
          const text = await new Response(child.stdout).text();
          expect(await child.exited).toBe(0);
          return JSON.parse(text) as string[];
        }),
      );
      const claimed = outputs.flat();
      expect(claimed).toHaveLength(30);
      expect(new Set(claimed)).toEqual(new Set(ids));
    }, 30_000);
  },
  { fresh: "each" },
);
