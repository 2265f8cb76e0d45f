/** API keys: per-organisation credentials for scripts, stored only as a hash. */

import type { Database, Row } from "./database.ts";
import { mapOrganisation, type Organisation } from "./organisations.repository.ts";
import { filter, listPage, type Page, type PageRequest } from "./pagination.ts";
import {
  newId,
  toBoolean,
  toNumber,
  toNumberOrNull,
  toStringOrNull,
  uniqueOr409,
} from "./values.ts";

export interface ApiKey {
  id: string;
  orgId: string;
  /** The user who created it; null once that user is gone. */
  createdBy: string | null;
  name: string;
  /** The first characters of the key, shown so people can tell keys apart. */
  prefix: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

function mapApiKey(row: Row): ApiKey {
  return {
    id: String(row.id),
    orgId: String(row.org_id),
    createdBy: toStringOrNull(row.created_by),
    name: String(row.name),
    prefix: String(row.prefix),
    createdAt: toNumber(row.created_at),
    lastUsedAt: toNumberOrNull(row.last_used_at),
    revokedAt: toNumberOrNull(row.revoked_at),
  };
}

export interface NewApiKey {
  orgId: string;
  createdBy: string | null;
  name: string;
  prefix: string;
  /** A hash of the secret (the auth package decides which); the secret itself is never stored. */
  keyHash: string;
}

export async function createApiKey(db: Database, input: NewApiKey): Promise<ApiKey> {
  const row = {
    id: newId(),
    org_id: input.orgId,
    created_by: input.createdBy,
    name: input.name,
    prefix: input.prefix,
    key_hash: input.keyHash,
    created_at: Date.now(),
    last_used_at: null,
    revoked_at: null,
  };
  const [created] = await uniqueOr409(
    () => db.sql`INSERT INTO api_keys ${db.sql(row)} RETURNING *`,
    "An API key with this hash already exists",
  );
  return mapApiKey(created as Row);
}

export interface ApiKeyOwner {
  apiKey: ApiKey;
  organisation: Organisation;
  /** The creating user's current state; the caller decides whether an inactive creator counts. */
  creator: { id: string; role: string; active: boolean } | null;
}

/** For authenticating `X-API-Key`: null when unknown or revoked. */
export async function findApiKeyByHash(db: Database, keyHash: string): Promise<ApiKeyOwner | null> {
  const [row] = await db.sql`
    SELECT k.*, o.name AS o_name, o.monthly_upload_quota AS o_upload_quota,
           o.monthly_job_quota AS o_job_quota, o.created_at AS o_created_at,
           u.role AS u_role, u.active AS u_active
    FROM api_keys k
    JOIN organisations o ON o.id = k.org_id
    LEFT JOIN users u ON u.id = k.created_by
    WHERE k.key_hash = ${keyHash} AND k.revoked_at IS NULL`;
  if (!row) return null;
  const apiKey = mapApiKey(row);
  return {
    apiKey,
    organisation: mapOrganisation({
      id: row.org_id,
      name: row.o_name,
      monthly_upload_quota: row.o_upload_quota,
      monthly_job_quota: row.o_job_quota,
      created_at: row.o_created_at,
    }),
    creator:
      apiKey.createdBy && row.u_role
        ? { id: apiKey.createdBy, role: String(row.u_role), active: toBoolean(row.u_active) }
        : null,
  };
}

export async function getApiKey(db: Database, orgId: string, id: string): Promise<ApiKey | null> {
  const [row] = await db.sql`SELECT * FROM api_keys WHERE id = ${id} AND org_id = ${orgId}`;
  return row ? mapApiKey(row) : null;
}

/** Newest first by default; revoked keys are listed too (with `revokedAt`). */
export function listApiKeys(
  db: Database,
  orgId: string,
  request: PageRequest<"createdAt"> = {},
): Promise<Page<ApiKey>> {
  return listPage(db, {
    table: "api_keys",
    filters: [filter("org_id = ?", orgId)],
    sortColumns: { createdAt: { column: "created_at", type: "number" } },
    defaultSort: "createdAt",
    defaultOrder: "desc",
    request,
    map: mapApiKey,
  });
}

/**
 * True when a live key of `orgId` was revoked now; false when unknown, foreign or already revoked.
 */
export async function revokeApiKey(db: Database, orgId: string, id: string): Promise<boolean> {
  const result = await db.sql`
    UPDATE api_keys SET revoked_at = ${Date.now()}
    WHERE id = ${id} AND org_id = ${orgId} AND revoked_at IS NULL`;
  return result.affectedRows > 0;
}

export async function touchApiKey(db: Database, id: string, at = Date.now()): Promise<void> {
  await db.sql`UPDATE api_keys SET last_used_at = ${at} WHERE id = ${id}`;
}
