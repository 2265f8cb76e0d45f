/** Users: accounts of one organisation, looked up for login and for every authenticated call. */

import type { Database, Row } from "./database.ts";
import { filter, listPage, type Page, type PageRequest } from "./pagination.ts";
import { newId, toBoolean, toNumber, toNumberOrNull, uniqueOr409 } from "./values.ts";

export const ROLES = ["admin", "org_admin", "user"] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  id: string;
  orgId: string;
  /** Stored lower-cased, which is what makes it unique case-insensitively. */
  email: string;
  name: string;
  role: Role;
  active: boolean;
  /** Tokens carrying an older version are no longer accepted. */
  tokenVersion: number;
  createdAt: number;
  lastLoginAt: number | null;
}

/** Only login needs the hash; every other read leaves it out. */
export interface UserWithPassword extends User {
  passwordHash: string;
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

function mapUser(row: Row): User {
  return {
    id: String(row.id),
    orgId: String(row.org_id),
    email: String(row.email),
    name: String(row.name ?? ""),
    role: row.role as Role,
    active: toBoolean(row.active),
    tokenVersion: toNumber(row.token_version),
    createdAt: toNumber(row.created_at),
    lastLoginAt: toNumberOrNull(row.last_login_at),
  };
}

export interface NewUser {
  orgId: string;
  email: string;
  name?: string;
  passwordHash: string;
  role: Role;
  active?: boolean;
}

/** Throws 409 when the e-mail address is taken (in any organisation, whatever its case). */
export async function createUser(db: Database, input: NewUser): Promise<User> {
  const email = normaliseEmail(input.email);
  const row = {
    id: newId(),
    org_id: input.orgId,
    email,
    name: input.name ?? "",
    password_hash: input.passwordHash,
    role: input.role,
    active: input.active ?? true,
    token_version: 0,
    created_at: Date.now(),
    last_login_at: null,
  };
  const [created] = await uniqueOr409(
    () => db.sql`INSERT INTO users ${db.sql(row)} RETURNING *`,
    `A user with e-mail ${email} already exists`,
  );
  return mapUser(created as Row);
}

/** For login: any organisation, with the password hash. */
export async function findUserByEmail(
  db: Database,
  email: string,
): Promise<UserWithPassword | null> {
  const [row] = await db.sql`SELECT * FROM users WHERE email = ${normaliseEmail(email)}`;
  return row ? { ...mapUser(row), passwordHash: String(row.password_hash) } : null;
}

/**
 * For authenticating a token or API key: the user by id in any organisation. Tenant-facing
 * code uses `getUser(db, orgId, id)` instead.
 */
export async function getUserById(db: Database, id: string): Promise<User | null> {
  const [row] = await db.sql`SELECT * FROM users WHERE id = ${id}`;
  return row ? mapUser(row) : null;
}

export async function getUser(db: Database, orgId: string, id: string): Promise<User | null> {
  const [row] = await db.sql`SELECT * FROM users WHERE id = ${id} AND org_id = ${orgId}`;
  return row ? mapUser(row) : null;
}

export type UserSort = "createdAt" | "email";

export function listUsers(
  db: Database,
  orgId: string,
  request: PageRequest<UserSort> = {},
): Promise<Page<User>> {
  return listPage(db, {
    table: "users",
    filters: [filter("org_id = ?", orgId)],
    sortColumns: {
      createdAt: { column: "created_at", type: "number" },
      email: { column: "email", type: "text" },
    },
    defaultSort: "createdAt",
    defaultOrder: "asc",
    request,
    map: mapUser,
  });
}

export interface UserChanges {
  name?: string;
  role?: Role;
  active?: boolean;
  passwordHash?: string;
}

/**
 * Changes the given fields. A new password or a deactivation also bumps the token version, so
 * sessions issued before it stop working. Null when the user is not in `orgId`.
 */
export async function updateUser(
  db: Database,
  orgId: string,
  id: string,
  changes: UserChanges,
): Promise<User | null> {
  const current = await db.sql`SELECT * FROM users WHERE id = ${id} AND org_id = ${orgId}`;
  const row = current[0];
  if (!row) return null;
  const revoke = changes.passwordHash !== undefined || changes.active === false;
  const [updated] = await db.sql`
    UPDATE users
    SET name = ${changes.name ?? row.name},
        role = ${changes.role ?? row.role},
        active = ${changes.active ?? toBoolean(row.active)},
        password_hash = ${changes.passwordHash ?? row.password_hash},
        token_version = token_version + ${revoke ? 1 : 0}
    WHERE id = ${id} AND org_id = ${orgId}
    RETURNING *`;
  return updated ? mapUser(updated) : null;
}

/** Logs the user out everywhere; returns the new version, or null when not in `orgId`. */
export async function bumpTokenVersion(
  db: Database,
  orgId: string,
  id: string,
): Promise<number | null> {
  const [row] = await db.sql`
    UPDATE users SET token_version = token_version + 1
    WHERE id = ${id} AND org_id = ${orgId}
    RETURNING token_version`;
  return row ? toNumber(row.token_version) : null;
}

export async function recordLogin(db: Database, id: string, at = Date.now()): Promise<void> {
  await db.sql`UPDATE users SET last_login_at = ${at} WHERE id = ${id}`;
}

/** Whether any admin exists: the bootstrap creates the first one only once. */
export async function hasAdmin(db: Database): Promise<boolean> {
  const rows = await db.sql`SELECT id FROM users WHERE role = 'admin' LIMIT 1`;
  return rows.length > 0;
}
