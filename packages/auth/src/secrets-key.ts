/**
 * The key that seals organisations' secrets: SECRETS_KEY, or else the JWT secret (from
 * JWT_SECRET or the file generated under DATA_DIR). Every API and worker must use the same.
 */

import { createSecretBox, type SecretBox } from "@crpipeline/db";

export function orgSecretBox(secretsKey: string | undefined, jwtSecret: Uint8Array): SecretBox {
  return createSecretBox(secretsKey ? new TextEncoder().encode(secretsKey) : jwtSecret);
}
