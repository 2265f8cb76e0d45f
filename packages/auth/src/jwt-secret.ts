/** Finds the HS256 signing secret: JWT_SECRET, or one generated once and kept under DATA_DIR. */

import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "@crpipeline/config";
import type { Logger } from "@crpipeline/log";

const SECRET_FILE = "jwt-secret";
const SECRET_BYTES = 32;

export interface ResolveJwtSecretDeps {
  config: Pick<Config, "jwtSecret" | "dataDir" | "nodeEnv">;
  logger: Logger;
}

export async function resolveJwtSecret({
  config,
  logger,
}: ResolveJwtSecretDeps): Promise<Uint8Array> {
  if (config.jwtSecret) return new TextEncoder().encode(config.jwtSecret);

  // Config already refuses this; kept so a hand-built config cannot slip a file secret into prod.
  if (config.nodeEnv === "production") {
    throw new Error("JWT_SECRET is required when NODE_ENV=production");
  }

  const path = join(config.dataDir, SECRET_FILE);
  const existing = await readSecretFile(path, logger);
  if (existing) {
    logger.warn({ path }, "JWT_SECRET is not set; using the secret generated earlier");
    return existing;
  }

  await mkdir(config.dataDir, { recursive: true });
  const secret = crypto.getRandomValues(new Uint8Array(SECRET_BYTES));
  try {
    // `wx` fails if another process wrote the file first; then both use that one.
    await writeFile(path, `${Buffer.from(secret).toString("base64url")}\n`, {
      mode: 0o600,
      flag: "wx",
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const winner = await readSecretFile(path, logger);
    if (winner) return winner;
    throw error;
  }
  logger.warn(
    { path },
    "JWT_SECRET is not set; generated a signing secret (set JWT_SECRET when running replicas)",
  );
  return secret;
}

async function readSecretFile(path: string, logger: Logger): Promise<Uint8Array | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }

  const secret = new Uint8Array(Buffer.from(text.trim(), "base64url"));
  if (secret.length < SECRET_BYTES) {
    throw new Error(`${path} holds fewer than ${SECRET_BYTES} bytes; delete it or set JWT_SECRET`);
  }

  const mode = (await stat(path)).mode & 0o777;
  if (mode !== 0o600) {
    logger.warn({ path, mode: mode.toString(8) }, "JWT secret file was readable by others; fixed");
    await chmod(path, 0o600);
  }
  return secret;
}
