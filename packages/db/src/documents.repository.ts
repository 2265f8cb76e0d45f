/** Documents: uploaded files of an organisation; the bytes live in object storage. */

import type { Database, Executor, Row } from "./database.ts";
import { journalDeletes } from "./object-journal.repository.ts";
import { filter, listPage, type Page, type PageRequest } from "./pagination.ts";
import { newId, toNumber, toStringOrNull, uniqueOr409 } from "./values.ts";

// A document row is inserted only AFTER its object is fully stored (the upload streams to
// `orgs/<org>/documents/<id>/original` first, with an id from `newDocumentId()`), so a
// half-written upload is never listed and there is no "uploading" status. If the insert fails,
// the caller deletes the object; if the caller dies first, the object journal has the key.

export interface Document {
  id: string;
  orgId: string;
  /** The uploading user; null for an upload made with an API key. */
  uploadedBy: string | null;
  apiKeyId: string | null;
  /** Safe display name (already reduced by the caller). */
  name: string;
  contentType: string;
  size: number;
  sha256: string;
  storageKey: string;
  createdAt: number;
}

function mapDocument(row: Row): Document {
  return {
    id: String(row.id),
    orgId: String(row.org_id),
    uploadedBy: toStringOrNull(row.uploaded_by),
    apiKeyId: toStringOrNull(row.api_key_id),
    name: String(row.name),
    contentType: String(row.content_type),
    size: toNumber(row.size),
    sha256: String(row.sha256),
    storageKey: String(row.storage_key),
    createdAt: toNumber(row.created_at),
  };
}

/** The id to build the storage key from before the row exists. */
export const newDocumentId = newId;

export interface NewDocument {
  id: string;
  orgId: string;
  uploadedBy: string | null;
  apiKeyId?: string | null;
  name: string;
  contentType: string;
  size: number;
  sha256: string;
  storageKey: string;
}

export async function createDocument(db: Executor, input: NewDocument): Promise<Document> {
  const row = {
    id: input.id,
    org_id: input.orgId,
    uploaded_by: input.uploadedBy,
    api_key_id: input.apiKeyId ?? null,
    name: input.name,
    content_type: input.contentType,
    size: input.size,
    sha256: input.sha256,
    storage_key: input.storageKey,
    created_at: Date.now(),
  };
  const [created] = await uniqueOr409(
    () => db.sql`INSERT INTO documents ${db.sql(row)} RETURNING *`,
    "A document with this id already exists",
  );
  return mapDocument(created as Row);
}

export async function getDocument(
  db: Database,
  orgId: string,
  id: string,
): Promise<Document | null> {
  const [row] = await db.sql`SELECT * FROM documents WHERE id = ${id} AND org_id = ${orgId}`;
  return row ? mapDocument(row) : null;
}

export type DocumentSort = "createdAt" | "name" | "size";

export interface DocumentListRequest extends PageRequest<DocumentSort> {
  /** Only documents whose name contains this text (ASCII letters match in either case). */
  nameContains?: string;
}

/** Newest first by default. */
export function listDocuments(
  db: Database,
  orgId: string,
  request: DocumentListRequest = {},
): Promise<Page<Document>> {
  const filters = [filter("org_id = ?", orgId)];
  if (request.nameContains) {
    const pattern = `%${request.nameContains.toLowerCase().replace(/[\\%_]/g, "\\$&")}%`;
    filters.push(filter("lower(name) LIKE ? ESCAPE '\\'", pattern));
  }
  return listPage(db, {
    table: "documents",
    filters,
    sortColumns: {
      createdAt: { column: "created_at", type: "number" },
      name: { column: "name", type: "text" },
      size: { column: "size", type: "number" },
    },
    defaultSort: "createdAt",
    defaultOrder: "desc",
    request,
    map: mapDocument,
  });
}

export interface DeletedDocument {
  document: Document;
  /**
   * Every object to delete now: the original and all stage outputs. They are in the object
   * journal already, so a caller that cannot delete them (S3 down, or it dies) loses nothing.
   */
  storageKeys: string[];
}

/**
 * Deletes the document with its jobs, stage outputs and events (foreign keys cascade); null
 * when not in `orgId`. A worker still running one of its jobs loses its lease and stops.
 */
export async function deleteDocument(
  db: Database,
  orgId: string,
  id: string,
): Promise<DeletedDocument | null> {
  return db.transaction(async (tx) => {
    // Read the output keys first: the cascade removes their rows with the document.
    const outputs = await tx.sql<{ storage_key: string }>`
      SELECT o.storage_key FROM stage_outputs o JOIN jobs j ON j.id = o.job_id
      WHERE j.document_id = ${id} AND j.org_id = ${orgId}`;
    const [row] = await tx.sql`
      DELETE FROM documents WHERE id = ${id} AND org_id = ${orgId} RETURNING *`;
    if (!row) return null;
    const document = mapDocument(row);
    const storageKeys = [document.storageKey, ...outputs.map((o) => o.storage_key)];
    await journalDeletes(tx, storageKeys);
    return { document, storageKeys };
  });
}
