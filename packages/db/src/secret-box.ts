/**
 * Sealing values at rest (organisations' AI and OCR keys): AES-256-GCM under a key derived with
 * HKDF from the deployment's key material, a fresh nonce per value, stored as `v1.<base64url>`.
 */

import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { AppError } from "@crpipeline/errors";

export interface SecretBox {
  seal(plain: string): string;
  /** The plain text; a 500 `secrets_unreadable` when the value was sealed under another key. */
  open(sealed: string): string;
}

const PREFIX = "v1.";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Whether `stored` is a sealed value (older rows may still hold plain JSON). */
export const isSealed = (stored: string) => stored.startsWith(PREFIX);

export function createSecretBox(keyMaterial: Uint8Array): SecretBox {
  if (keyMaterial.byteLength < 32) throw new Error("secret box key material must be 32+ bytes");
  const key = Buffer.from(hkdfSync("sha256", keyMaterial, "crpipeline", "org secrets v1", 32));
  return {
    seal(plain) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, nonce);
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return PREFIX + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString("base64url");
    },
    open(sealed) {
      const raw = isSealed(sealed) ? Buffer.from(sealed.slice(PREFIX.length), "base64url") : null;
      if (!raw || raw.length < NONCE_BYTES + TAG_BYTES) throw unreadable();
      const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, NONCE_BYTES));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      try {
        const body = raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES);
        return Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
      } catch {
        throw unreadable();
      }
    },
  };
}

const unreadable = () =>
  new AppError(
    "secrets_unreadable",
    "Stored organisation secrets were sealed with another key: give every API and worker the " +
      "same SECRETS_KEY (or JWT_SECRET when SECRETS_KEY is unset)",
    500,
  );
