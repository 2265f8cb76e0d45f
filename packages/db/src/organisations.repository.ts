/** Organisations: the tenants every other table hangs off. */

import type { Database, Row } from "./database.ts";
import { listPage, type Page, type PageRequest } from "./pagination.ts";
import { newId, toNumber, toNumberOrNull, uniqueOr409 } from "./values.ts";

export interface Organisation {
  id: string;
  name: string;
  /** Null means no limit. */
  monthlyUploadQuota: number | null;
  monthlyJobQuota: number | null;
  createdAt: number;
}

export function mapOrganisation(row: Row): Organisation {
  return {
    id: String(row.id),
    name: String(row.name),
    monthlyUploadQuota: toNumberOrNull(row.monthly_upload_quota),
    monthlyJobQuota: toNumberOrNull(row.monthly_job_quota),
    createdAt: toNumber(row.created_at),
  };
}

export interface NewOrganisation {
  name: string;
  monthlyUploadQuota?: number | null;
  monthlyJobQuota?: number | null;
}

/** Throws 409 when the name is taken. */
export async function createOrganisation(
  db: Database,
  input: NewOrganisation,
): Promise<Organisation> {
  const row = {
    id: newId(),
    name: input.name,
    monthly_upload_quota: input.monthlyUploadQuota ?? null,
    monthly_job_quota: input.monthlyJobQuota ?? null,
    created_at: Date.now(),
  };
  const [created] = await uniqueOr409(
    () => db.sql`INSERT INTO organisations ${db.sql(row)} RETURNING *`,
    `An organisation named "${input.name}" already exists`,
  );
  return mapOrganisation(created as Row);
}

export async function getOrganisation(db: Database, id: string): Promise<Organisation | null> {
  const [row] = await db.sql`SELECT * FROM organisations WHERE id = ${id}`;
  return row ? mapOrganisation(row) : null;
}

export async function getOrganisationByName(
  db: Database,
  name: string,
): Promise<Organisation | null> {
  const [row] = await db.sql`SELECT * FROM organisations WHERE name = ${name}`;
  return row ? mapOrganisation(row) : null;
}

export type OrganisationSort = "createdAt" | "name";

export function listOrganisations(
  db: Database,
  request: PageRequest<OrganisationSort> = {},
): Promise<Page<Organisation>> {
  return listPage(db, {
    table: "organisations",
    filters: [],
    sortColumns: {
      createdAt: { column: "created_at", type: "number" },
      name: { column: "name", type: "text" },
    },
    defaultSort: "createdAt",
    defaultOrder: "asc",
    request,
    map: mapOrganisation,
  });
}

export interface OrganisationChanges {
  name?: string;
  monthlyUploadQuota?: number | null;
  monthlyJobQuota?: number | null;
}

/** Changes only the given fields; null when the organisation does not exist; 409 on name clash. */
export async function updateOrganisation(
  db: Database,
  id: string,
  changes: OrganisationChanges,
): Promise<Organisation | null> {
  const current = await getOrganisation(db, id);
  if (!current) return null;
  const next = { ...current, ...changes };
  const [row] = await uniqueOr409(
    () => db.sql`
      UPDATE organisations
      SET name = ${next.name},
          monthly_upload_quota = ${next.monthlyUploadQuota},
          monthly_job_quota = ${next.monthlyJobQuota}
      WHERE id = ${id}
      RETURNING *`,
    `An organisation named "${next.name}" already exists`,
  );
  return row ? mapOrganisation(row) : null;
}
