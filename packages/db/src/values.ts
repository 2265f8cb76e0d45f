/** Normalises what the two engines return (int8 as string, 0/1 booleans, JSON text) to plain JS. */

import { AppError, conflict } from "@crpipeline/errors";

/** Time-ordered ids: they sort by creation time, which keyset pagination relies on. */
export function newId(): string {
  return Bun.randomUUIDv7();
}

/** Postgres returns int8 (BIGINT, count(*)) as a string; SQLite returns a number. */
export function toNumber(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" || typeof value === "bigint") return Number(value);
  throw new TypeError(`expected a number from the database, got ${typeof value}`);
}

export function toNumberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : toNumber(value);
}

/** Postgres BOOLEAN comes back as true/false, SQLite stores 1/0. */
export function toBoolean(value: unknown): boolean {
  return value === true || value === 1 || value === 1n || value === "1" || value === "t";
}

export function toStringOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** JSON is stored as TEXT on both engines, so every read parses it here. */
export function parseJson<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined) return fallback;
  if (typeof value !== "string") return value as T;
  try {
    return JSON.parse(value) as T;
  } catch {
    return fallback;
  }
}

export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/** Whether a database error is a UNIQUE violation (Postgres 23505, SQLite CONSTRAINT_UNIQUE). */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, errno } = error as Error & { code?: string; errno?: unknown };
  return (
    errno === "23505" ||
    code === "SQLITE_CONSTRAINT_UNIQUE" ||
    code === "SQLITE_CONSTRAINT_PRIMARYKEY"
  );
}

/** Runs a write and turns a unique violation into a 409 with the caller's message. */
export async function uniqueOr409<T>(write: () => Promise<T>, message: string): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (isUniqueViolation(error)) throw conflict(message);
    throw error;
  }
}
