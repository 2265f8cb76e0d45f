/** Audit log: who did what to which object, per organisation, append-only. */

import type { Database, Row } from "./database.ts";
import { filter, listPage, type Page, type PageRequest } from "./pagination.ts";
import { newId, parseJson, toJson, toNumber, toStringOrNull } from "./values.ts";

export interface AuditEntry {
  id: string;
  orgId: string;
  userId: string | null;
  apiKeyId: string | null;
  /** e.g. "auth.login", "document.upload", "document.download", "pipeline.delete". */
  action: string;
  targetType: string | null;
  targetId: string | null;
  details: Record<string, unknown>;
  ip: string | null;
  createdAt: number;
}

function mapEntry(row: Row): AuditEntry {
  return {
    id: String(row.id),
    orgId: String(row.org_id),
    userId: toStringOrNull(row.user_id),
    apiKeyId: toStringOrNull(row.api_key_id),
    action: String(row.action),
    targetType: toStringOrNull(row.target_type),
    targetId: toStringOrNull(row.target_id),
    details: parseJson<Record<string, unknown>>(row.details, {}),
    ip: toStringOrNull(row.ip),
    createdAt: toNumber(row.created_at),
  };
}

export interface NewAuditEntry {
  orgId: string;
  userId?: string | null;
  apiKeyId?: string | null;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  /** Never put secrets or passwords here. */
  details?: Record<string, unknown>;
  ip?: string | null;
}

export async function appendAudit(db: Database, entry: NewAuditEntry): Promise<AuditEntry> {
  const row = {
    id: newId(),
    org_id: entry.orgId,
    user_id: entry.userId ?? null,
    api_key_id: entry.apiKeyId ?? null,
    action: entry.action,
    target_type: entry.targetType ?? null,
    target_id: entry.targetId ?? null,
    details: toJson(entry.details ?? {}),
    ip: entry.ip ?? null,
    created_at: Date.now(),
  };
  const [created] = await db.sql`INSERT INTO audit_log ${db.sql(row)} RETURNING *`;
  return mapEntry(created as Row);
}

export interface AuditListRequest extends PageRequest<"createdAt"> {
  action?: string;
}

/** Newest first by default. */
export function listAudit(
  db: Database,
  orgId: string,
  request: AuditListRequest = {},
): Promise<Page<AuditEntry>> {
  const filters = [filter("org_id = ?", orgId)];
  if (request.action) filters.push(filter("action = ?", request.action));
  return listPage(db, {
    table: "audit_log",
    filters,
    sortColumns: { createdAt: { column: "created_at", type: "number" } },
    defaultSort: "createdAt",
    defaultOrder: "desc",
    request,
    map: mapEntry,
  });
}
