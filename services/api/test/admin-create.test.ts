/** `bun run admin:create` and the ADMIN_* bootstrap create the first admin exactly once. */

import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { databaseUrl, loadConfig } from "@crpipeline/config";
import { createDatabase, findUserByEmail, getOrganisation } from "@crpipeline/db";
import { silentLogger } from "@crpipeline/log";
import { tempDir } from "@crpipeline/testing";

const CLI = join(import.meta.dir, "../src/admin-create.ts");
const dir = tempDir("crp-admin-");
afterAll(() => dir.cleanup());

async function run(args: string[]) {
  const child = Bun.spawn(["bun", CLI, ...args], {
    env: { ...process.env, DATA_DIR: dir.path, LOG_LEVEL: "silent" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const code = await child.exited;
  return {
    code,
    stdout: await new Response(child.stdout).text(),
    stderr: await new Response(child.stderr).text(),
  };
}

test("creates the organisation and an argon2id-hashed admin, then leaves an existing one alone", async () => {
  const first = await run([
    "--email",
    "Root@Example.com",
    "--password",
    "s3cret-pass",
    "--org",
    "acme",
  ]);
  expect(first).toMatchObject({
    code: 0,
    stdout: "created admin root@example.com in organisation acme\n",
  });

  const again = await run(["--email", "root@example.com", "--password", "other-pass-1"]);
  expect(again.code).toBe(0);
  expect(again.stdout).toContain("already exists; nothing changed");

  const db = await createDatabase({
    url: databaseUrl(loadConfig({ DATA_DIR: dir.path })),
    logger: silentLogger,
  });
  try {
    const user = await findUserByEmail(db, "root@example.com");
    expect(user?.role).toBe("admin");
    expect(user?.passwordHash.startsWith("$argon2id$")).toBe(true);
    expect(await Bun.password.verify("s3cret-pass", user?.passwordHash ?? "")).toBe(true);
    expect((await getOrganisation(db, user?.orgId ?? ""))?.name).toBe("acme");
  } finally {
    await db.close();
  }
});

test("refuses bad input with a usage line or the password rule, writing nothing", async () => {
  const missing = await run(["--email", "x@example.com"]);
  expect(missing.code).toBe(64);
  expect(missing.stderr).toContain("usage: bun run admin:create");

  const weak = await run(["--email", "weak@example.com", "--password", "short"]);
  expect(weak.code).toBe(1);
  expect(weak.stderr).toContain("admin:create failed");

  const db = await createDatabase({
    url: databaseUrl(loadConfig({ DATA_DIR: dir.path })),
    logger: silentLogger,
  });
  try {
    expect(await findUserByEmail(db, "weak@example.com")).toBeNull();
  } finally {
    await db.close();
  }
});
