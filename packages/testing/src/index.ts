/** Test helpers: real-service availability, free ports, temporary directories. */

import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const IN_CI = process.env.CI === "true";

/**
 * Decides whether a test that needs an outside service runs. Outside CI a missing service skips
 * with a message; under CI=true a missing service is a failure, never a skip.
 *
 *   const pg = await requireService("postgres", () => canConnectPostgres(url));
 *   describe.skipIf(!pg)("…", …)
 */
export async function requireService(
  name: string,
  probe: () => Promise<unknown>,
): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch (error) {
    const why = (error as Error)?.message ?? String(error);
    if (IN_CI) throw new Error(`${name} is required under CI=true but unavailable: ${why}`);
    console.warn(`[skip] ${name} unavailable (${why}); its tests are skipped outside CI`);
    return false;
  }
}

/** Whether an executable is on PATH; under CI a missing one fails like a missing service. */
export async function requireCommand(command: string): Promise<boolean> {
  return requireService(command, async () => {
    if (!Bun.which(command)) throw new Error(`${command} not found on PATH`);
  });
}

/** A TCP port nothing listens on right now (bind port 0, read it, release it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A fresh directory under the OS temp dir; `cleanup()` removes it. */
export function tempDir(prefix = "crp-"): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  { timeoutMs = 10_000, intervalMs = 50, what = "condition" } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    await Bun.sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${String(last ?? "")}`);
}

export const POSTGRES_URL =
  process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/**
 * Sliding-window rate limits (epoch-aligned windows, the previous window weighted by overlap)
 * let a burst that straddles a window boundary through early. A test that must see the limit
 * hit at an exact count waits here until `burstMs` fits inside the current window.
 */
export async function waitForRoomInWindow(windowMs: number, burstMs: number): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < burstMs) await Bun.sleep(left + 50);
}
