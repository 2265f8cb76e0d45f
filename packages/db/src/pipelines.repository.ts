/** Pipelines: named, ordered stage lists per organisation (validated by the caller). */

import type { Database, Row } from "./database.ts";
import { filter, listPage, type Page, type PageRequest } from "./pagination.ts";
import { newId, parseJson, toJson, toNumber, uniqueOr409 } from "./values.ts";

// Pipelines are deleted for real: jobs keep a snapshot of the stages and the name, and their
// pipeline_id is set to NULL by the foreign key, so past jobs stay complete.

export interface Pipeline {
  id: string;
  orgId: string;
  name: string;
  description: string;
  /** The stage configs as stored (validated by @crpipeline/pipeline before writing). */
  stages: unknown[];
  createdAt: number;
  updatedAt: number;
}

function mapPipeline(row: Row): Pipeline {
  return {
    id: String(row.id),
    orgId: String(row.org_id),
    name: String(row.name),
    description: String(row.description ?? ""),
    stages: parseJson<unknown[]>(row.stages, []),
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
  };
}

const nameTaken = (name: string) => `A pipeline named "${name}" already exists`;

export interface NewPipeline {
  orgId: string;
  name: string;
  description?: string;
  stages: unknown[];
}

export async function createPipeline(db: Database, input: NewPipeline): Promise<Pipeline> {
  const now = Date.now();
  const row = {
    id: newId(),
    org_id: input.orgId,
    name: input.name,
    description: input.description ?? "",
    stages: toJson(input.stages),
    created_at: now,
    updated_at: now,
  };
  const [created] = await uniqueOr409(
    () => db.sql`INSERT INTO pipelines ${db.sql(row)} RETURNING *`,
    nameTaken(input.name),
  );
  return mapPipeline(created as Row);
}

export async function getPipeline(
  db: Database,
  orgId: string,
  id: string,
): Promise<Pipeline | null> {
  const [row] = await db.sql`SELECT * FROM pipelines WHERE id = ${id} AND org_id = ${orgId}`;
  return row ? mapPipeline(row) : null;
}

export type PipelineSort = "createdAt" | "updatedAt" | "name";

export function listPipelines(
  db: Database,
  orgId: string,
  request: PageRequest<PipelineSort> = {},
): Promise<Page<Pipeline>> {
  return listPage(db, {
    table: "pipelines",
    filters: [filter("org_id = ?", orgId)],
    sortColumns: {
      createdAt: { column: "created_at", type: "number" },
      updatedAt: { column: "updated_at", type: "number" },
      name: { column: "name", type: "text" },
    },
    defaultSort: "name",
    defaultOrder: "asc",
    request,
    map: mapPipeline,
  });
}

export interface PipelineChanges {
  name?: string;
  description?: string;
  stages?: unknown[];
}

/** Null when not in `orgId`; 409 when the new name is taken. */
export async function updatePipeline(
  db: Database,
  orgId: string,
  id: string,
  changes: PipelineChanges,
): Promise<Pipeline | null> {
  const current = await getPipeline(db, orgId, id);
  if (!current) return null;
  const name = changes.name ?? current.name;
  const [row] = await uniqueOr409(
    () => db.sql`
      UPDATE pipelines
      SET name = ${name},
          description = ${changes.description ?? current.description},
          stages = ${toJson(changes.stages ?? current.stages)},
          updated_at = ${Math.max(Date.now(), current.updatedAt + 1)}
      WHERE id = ${id} AND org_id = ${orgId}
      RETURNING *`,
    nameTaken(name),
  );
  return row ? mapPipeline(row) : null;
}

/** True when deleted; false when not in `orgId`. */
export async function deletePipeline(db: Database, orgId: string, id: string): Promise<boolean> {
  const result = await db.sql`DELETE FROM pipelines WHERE id = ${id} AND org_id = ${orgId}`;
  return result.affectedRows > 0;
}
