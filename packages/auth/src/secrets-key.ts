/**
 * The key material that seals organisations' secrets: SECRETS_KEY, or else the JWT secret (from
 * JWT_SECRET or the file generated under DATA_DIR). Every API and worker must resolve the same.
 */

import type { Config } from "@crpipeline/config";
import { createSecretBox, type SecretBox } from "@crpipeline/db";
import type { Logger } from "@crpipeline/log";
import { resolveJwtSecret } from "./jwt-secret.ts";

export interface SecretBoxDeps {
  config: Pick<Config, "secretsKey" | "jwtSecret" | "dataDir" | "nodeEnv">;
  logger: Logger;
}

export async function resolveSecretBox({ config, logger }: SecretBoxDeps): Promise<SecretBox> {
  if (config.secretsKey) return createSecretBox(new TextEncoder().encode(config.secretsKey));
  if (!config.jwtSecret) {
    logger.info({}, "SECRETS_KEY is not set; sealing organisation secrets with the JWT secret");
  }
  return createSecretBox(await resolveJwtSecret({ config, logger }));
}
