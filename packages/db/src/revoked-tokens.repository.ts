/** Revoked session tokens by id (jti), kept until the token would have expired anyway. */

import type { Database } from "./database.ts";

/** Idempotent: revoking an already revoked token changes nothing. */
export async function revokeToken(db: Database, jti: string, expiresAt: number): Promise<void> {
  await db.sql`
    INSERT INTO revoked_tokens (jti, expires_at) VALUES (${jti}, ${expiresAt})
    ON CONFLICT (jti) DO NOTHING`;
}

export async function isTokenRevoked(db: Database, jti: string): Promise<boolean> {
  const rows = await db.sql`SELECT jti FROM revoked_tokens WHERE jti = ${jti}`;
  return rows.length > 0;
}

/** Drops entries of tokens that have expired; returns how many. */
export async function pruneRevokedTokens(db: Database, now = Date.now()): Promise<number> {
  const result = await db.sql`DELETE FROM revoked_tokens WHERE expires_at < ${now}`;
  return result.affectedRows;
}
