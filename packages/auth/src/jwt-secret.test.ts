import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "@crpipeline/log";
import { tempDir } from "@crpipeline/testing";
import { resolveJwtSecret } from "./jwt-secret.ts";

const dirs: { cleanup: () => void }[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.cleanup();
});

function setup() {
  const dir = tempDir("crp-jwt-");
  dirs.push(dir);
  const lines: string[] = [];
  const logger = createLogger("test", { level: "debug", write: (line) => lines.push(line) });
  // A nested data dir that does not exist yet, as on a fresh clone.
  const dataDir = join(dir.path, "data");
  const config = { dataDir, nodeEnv: "development", jwtSecret: undefined };
  return { dataDir, config, logger, lines };
}

describe("resolveJwtSecret", () => {
  test("generates 32 bytes once, mode 0600, warns, and reuses them", async () => {
    const { dataDir, config, logger, lines } = setup();
    const first = await resolveJwtSecret({ config, logger });
    expect(first.length).toBe(32);

    const path = join(dataDir, "jwt-secret");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, "utf8").trim()).toBe(Buffer.from(first).toString("base64url"));
    expect(lines.some((line) => JSON.parse(line).level === "warn")).toBe(true);
    expect(lines.join("")).not.toContain(Buffer.from(first).toString("base64url"));

    const second = await resolveJwtSecret({ config, logger });
    expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
  });

  test("two concurrent first starts agree on one secret", async () => {
    const { config, logger } = setup();
    const [a, b] = await Promise.all([
      resolveJwtSecret({ config, logger }),
      resolveJwtSecret({ config, logger }),
    ]);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  test("JWT_SECRET wins and nothing is written", async () => {
    const { dataDir, config, logger } = setup();
    const jwtSecret = "s".repeat(40);
    const secret = await resolveJwtSecret({ config: { ...config, jwtSecret }, logger });
    expect(new TextDecoder().decode(secret)).toBe(jwtSecret);
    expect(() => statSync(join(dataDir, "jwt-secret"))).toThrow();
  });

  test("production without JWT_SECRET refuses", async () => {
    const { config, logger } = setup();
    const production = { ...config, nodeEnv: "production" };
    await expect(resolveJwtSecret({ config: production, logger })).rejects.toThrow(/JWT_SECRET/);
  });

  test("a truncated secret file is an error, a loose mode is fixed", async () => {
    const { dataDir, config, logger } = setup();
    await resolveJwtSecret({ config, logger });
    const path = join(dataDir, "jwt-secret");

    chmodSync(path, 0o644);
    await resolveJwtSecret({ config, logger });
    expect(statSync(path).mode & 0o777).toBe(0o600);

    writeFileSync(path, "c2hvcnQ");
    await expect(resolveJwtSecret({ config, logger })).rejects.toThrow(/fewer than 32 bytes/);
  });
});
