/** Organisation API keys: `crp_<prefix>_<secret>`, shown once, stored only as a sha256 hash. */

import { timingSafeEqual } from "node:crypto";
import { AppError } from "@crpipeline/errors";

const KEY_FORMAT = /^crp_([0-9a-f]{8})_([0-9a-f]{64})$/;

export const apiKeyErrors = {
  malformed: () =>
    new AppError("api_key_malformed", "API key must look like crp_<8 hex>_<64 hex>", 401),
  invalid: () => new AppError("api_key_invalid", "API key is unknown or revoked", 401),
};

export interface GeneratedApiKey {
  /** The full key; show it once, never store it. */
  key: string;
  /** Public part, stored in clear to find the key and to show in listings. */
  prefix: string;
  /** sha256 hex of the full key; what the database keeps. */
  hash: string;
}

const randomHex = (bytes: number) =>
  Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");

export function generateApiKey(): GeneratedApiKey {
  const prefix = randomHex(4);
  const key = `crp_${prefix}_${randomHex(32)}`;
  return { key, prefix, hash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return new Bun.CryptoHasher("sha256").update(key).digest("hex");
}

/** Format check of a header value; throws 401 `api_key_malformed`. */
export function parseApiKey(header: string | null | undefined): { key: string; prefix: string } {
  const key = header?.trim() ?? "";
  const match = KEY_FORMAT.exec(key);
  if (!match?.[1]) throw apiKeyErrors.malformed();
  return { key, prefix: match[1] };
}

/** Compares a presented key with a stored hash in constant time. */
export function apiKeyMatches(key: string, storedHash: string): boolean {
  const presented = Buffer.from(hashApiKey(key), "hex");
  const stored = Buffer.from(storedHash, "hex");
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}
