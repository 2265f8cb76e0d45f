/** Keyset (cursor) pagination shared by every list: stable under inserts, no OFFSET scans. */

import { badRequest } from "@crpipeline/errors";
import type { Executor, Row } from "./database.ts";
import { toNumber } from "./values.ts";

export type SortOrder = "asc" | "desc";

export interface PageRequest<S extends string = string> {
  /** 1..100, default 20. */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string | null;
  sort?: S;
  order?: SortOrder;
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
  /** Rows matching the filters, all pages together. */
  total: number;
}

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw badRequest(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}`, { field: "limit" });
  }
  return limit;
}

type CursorValue = string | number;

function encodeCursor(value: CursorValue, id: string): string {
  return Buffer.from(JSON.stringify([value, id])).toString("base64url");
}

function decodeCursor(cursor: string): [CursorValue, string] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      (typeof parsed[0] === "string" || typeof parsed[0] === "number") &&
      typeof parsed[1] === "string"
    ) {
      return [parsed[0], parsed[1]];
    }
  } catch {
    // fall through to the 400 below
  }
  throw badRequest("cursor is not valid for this list", { field: "cursor" });
}

/** A filter: SQL text with `?` placeholders and its values. */
export interface Filter {
  text: string;
  values: unknown[];
}

export const filter = (text: string, ...values: unknown[]): Filter => ({ text, values });

export interface ListQuery<T, S extends string> {
  table: string;
  filters: Filter[];
  /** Allowed sort keys → column; never user text. */
  sortColumns: Record<S, { column: string; type: "text" | "number" }>;
  defaultSort: S;
  defaultOrder: SortOrder;
  request: PageRequest<S>;
  map: (row: Row) => T;
}

/** Builds `text` with `$n` placeholders from `?` ones, numbering on from `params`. */
function bind(filters: Filter[], params: unknown[]): string {
  return filters
    .map((f) => {
      let index = 0;
      const text = f.text.replace(/\?/g, () => {
        params.push(f.values[index++]);
        return `$${params.length}`;
      });
      return `(${text})`;
    })
    .join(" AND ");
}

export async function listPage<T, S extends string>(
  db: Executor,
  query: ListQuery<T, S>,
): Promise<Page<T>> {
  const limit = pageLimit(query.request.limit);
  const sortKey = query.request.sort ?? query.defaultSort;
  const sort = query.sortColumns[sortKey];
  if (!sort) throw badRequest(`cannot sort by ${String(sortKey)}`, { field: "sort" });
  const order = query.request.order ?? query.defaultOrder;
  if (order !== "asc" && order !== "desc") {
    throw badRequest("order must be asc or desc", { field: "order" });
  }

  // Byte order on both engines, so a page boundary means the same thing on SQLite and Postgres.
  const column =
    sort.type === "text" && db.engine === "postgres" ? `${sort.column} COLLATE "C"` : sort.column;
  const countParams: unknown[] = [];
  const where = query.filters.length > 0 ? bind(query.filters, countParams) : "TRUE";
  const [counted] = await db.sql.unsafe(
    `SELECT count(*) AS n FROM ${query.table} WHERE ${where}`,
    countParams,
  );

  const params: unknown[] = [];
  const filters = [...query.filters];
  if (query.request.cursor) {
    const [value, id] = decodeCursor(query.request.cursor);
    const op = order === "asc" ? ">" : "<";
    filters.push(
      filter(`${column} ${op} ? OR (${sort.column} = ? AND id ${op} ?)`, value, value, id),
    );
  }
  const pageWhere = filters.length > 0 ? bind(filters, params) : "TRUE";
  const direction = order === "asc" ? "ASC" : "DESC";
  const rows = await db.sql.unsafe(
    `SELECT * FROM ${query.table} WHERE ${pageWhere} ` +
      `ORDER BY ${column} ${direction}, id ${direction} LIMIT ${limit + 1}`,
    params,
  );

  const items = rows.slice(0, limit);
  const last = items.at(-1);
  const more = rows.length > limit && last !== undefined;
  const lastValue = more ? (last[sort.column] as CursorValue) : null;
  return {
    items: items.map(query.map),
    nextCursor:
      more && lastValue !== null
        ? encodeCursor(
            sort.type === "number" ? toNumber(lastValue) : String(lastValue),
            String(last.id),
          )
        : null,
    total: toNumber(counted?.n ?? 0),
  };
}
