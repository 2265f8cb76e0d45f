/**
 * Turns a session token or an API key into a principal, checking the server-side state (revoked
 * sessions, token version, active flag, current role) through stores the API implements on the DB.
 */

import { apiKeyErrors, apiKeyMatches, parseApiKey } from "./api-keys.ts";
import type { ApiKeyPrincipal, Role, UserPrincipal } from "./roles.ts";
import { tokenErrors } from "./token-errors.ts";
import type { TokenService } from "./tokens.ts";

/** What the database knows about a user right now. */
export interface UserState {
  active: boolean;
  role: Role;
  orgId: string;
  tokenVersion: number;
}

export interface SessionStore {
  /** Whether logout revoked this token id. */
  isRevoked(jti: string): Promise<boolean>;
  /** The user's current state, or null when the user no longer exists. */
  getUserState(userId: string): Promise<UserState | null>;
}

export interface ApiKeyRecord {
  id: string;
  orgId: string;
  /** sha256 hex of the full key, as `hashApiKey` computes it. */
  hash: string;
  /** False once the key was revoked. */
  active: boolean;
}

export interface ApiKeyStore {
  /** The key with this public prefix, or null. Prefixes are unique. */
  findByPrefix(prefix: string): Promise<ApiKeyRecord | null>;
}

export async function authenticateToken(
  token: string,
  deps: { tokens: TokenService; store: SessionStore },
): Promise<UserPrincipal> {
  const claims = await deps.tokens.verify(token);

  const [revoked, user] = await Promise.all([
    deps.store.isRevoked(claims.jti),
    deps.store.getUserState(claims.userId),
  ]);
  if (revoked) throw tokenErrors.revoked();
  if (!user) throw tokenErrors.unknownUser();
  if (!user.active) throw tokenErrors.inactive();
  // A bumped version (password change, "sign out everywhere") or a move to another
  // organisation ends every session issued before it.
  if (user.tokenVersion !== claims.tokenVersion || user.orgId !== claims.orgId) {
    throw tokenErrors.outdated();
  }

  return {
    kind: "user",
    userId: claims.userId,
    orgId: user.orgId,
    role: user.role,
    jti: claims.jti,
  };
}

/** Checks an `X-API-Key` header value; every failure is the same 401 so keys cannot be probed. */
export async function authenticateApiKey(
  header: string | null | undefined,
  deps: { store: ApiKeyStore },
): Promise<ApiKeyPrincipal> {
  const { key, prefix } = parseApiKey(header);
  const record = await deps.store.findByPrefix(prefix);
  if (!record || !apiKeyMatches(key, record.hash) || !record.active) {
    throw apiKeyErrors.invalid();
  }
  return { kind: "api_key", apiKeyId: record.id, orgId: record.orgId, role: "user" };
}
