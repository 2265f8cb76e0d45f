/** Password hashing (argon2id through Bun.password) and the strength rule applied on write. */

import { badRequest } from "@crpipeline/errors";

export const MIN_PASSWORD_CHARS = 8;
// argon2 hashes the whole input; a cap keeps one request from burning seconds of CPU.
export const MAX_PASSWORD_BYTES = 1024;

export function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, { algorithm: "argon2id" });
}

let dummyHash: Promise<string> | undefined;

/**
 * Checks a password against a stored hash. With no hash (unknown user) it still runs one argon2
 * verification against a throwaway hash, so the answer time does not reveal which e-mails exist.
 */
export async function verifyPassword(
  password: string,
  hash: string | null | undefined,
): Promise<boolean> {
  if (!hash?.startsWith("$argon2")) {
    dummyHash ??= hashPassword(crypto.randomUUID());
    await Bun.password.verify(password, await dummyHash);
    return false;
  }
  return Bun.password.verify(password, hash);
}

/** Throws a 400 naming the rule a new password breaks. */
export function validatePasswordStrength(password: unknown): asserts password is string {
  if (typeof password !== "string") {
    throw badRequest("Password must be a string", { field: "password" });
  }
  if ([...password].length < MIN_PASSWORD_CHARS) {
    throw badRequest(`Password must be at least ${MIN_PASSWORD_CHARS} characters long`, {
      field: "password",
    });
  }
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) {
    throw badRequest(`Password must be at most ${MAX_PASSWORD_BYTES} bytes long`, {
      field: "password",
    });
  }
}
