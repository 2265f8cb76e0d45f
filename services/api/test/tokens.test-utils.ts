/** Hand-made session tokens (HS256 signed here, or unsigned) for the token-rejection tests. */

import { createHmac } from "node:crypto";

/** A JSON value as a JWT segment. */
export const base64url = (value: unknown) =>
  Buffer.from(JSON.stringify(value)).toString("base64url");

/** The claims of a token, read without checking anything. */
export function decodeClaims(token: string): Record<string, unknown> {
  const [, payload] = token.split(".");
  return JSON.parse(Buffer.from(payload ?? "", "base64url").toString());
}

export function signToken(
  claims: Record<string, unknown>,
  secret: Uint8Array,
  header: Record<string, unknown> = { alg: "HS256", typ: "JWT" },
): string {
  const signingInput = `${base64url(header)}.${base64url(claims)}`;
  const signature = createHmac("sha256", secret).update(signingInput).digest("base64url");
  return `${signingInput}.${signature}`;
}

/** `alg: none` with an empty signature: what a forger sends to skip verification. */
export function unsignedToken(claims: Record<string, unknown>): string {
  return `${base64url({ alg: "none", typ: "JWT" })}.${base64url(claims)}.`;
}
