/** Roles, the authenticated principal, and the role checks routes call before acting. */

import { forbidden } from "@crpipeline/errors";

export const ROLES = ["admin", "org_admin", "user"] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** A signed-in user; role and organisation come from the database, not from the token. */
export interface UserPrincipal {
  kind: "user";
  userId: string;
  orgId: string;
  role: Role;
  /** The session token's id, so logout can revoke exactly this session. */
  jti: string;
}

/** A script calling with an organisation's API key; it acts with the `user` role. */
export interface ApiKeyPrincipal {
  kind: "api_key";
  apiKeyId: string;
  orgId: string;
  role: "user";
}

export type Principal = UserPrincipal | ApiKeyPrincipal;

/** Throws 403 unless the principal holds one of `roles`. */
export function requireRole(principal: Principal, ...roles: Role[]): void {
  if (roles.includes(principal.role)) return;
  throw forbidden(`This needs the role ${roles.join(" or ")}; you are ${principal.role}`);
}

/** Admins manage every organisation, org admins only their own, everyone else none. */
export function canManageOrg(principal: Principal, orgId: string): boolean {
  if (principal.role === "admin") return true;
  return principal.role === "org_admin" && principal.orgId === orgId;
}
