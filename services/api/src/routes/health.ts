/** Liveness (`/healthz`: the process answers) and readiness (`/readyz`: its dependencies do). */

import { pingDatabase } from "@crpipeline/db";
import { Elysia } from "elysia";
import type { ApiDeps } from "../deps.ts";

type Check = () => Promise<unknown>;

async function run(check: Check, timeoutMs: number): Promise<string> {
  let timer: Timer | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return "ok";
  } catch (error) {
    return (error as Error).message || "failed";
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(deps: ApiDeps) {
  const checks: Record<string, Check> = {
    database: () => pingDatabase(deps.db),
    storage: () => deps.store.ping(),
  };
  if (deps.limiter.backend !== "memory") checks.redis = () => deps.limiter.ready();

  return new Elysia()
    .get("/healthz", () => ({ status: "ok" }))
    .get("/readyz", async ({ set }) => {
      const names = Object.keys(checks);
      const results = await Promise.all(names.map((name) => run(checks[name] as Check, 3000)));
      const report = Object.fromEntries(names.map((name, i) => [name, results[i]]));
      const ready = results.every((r) => r === "ok");
      set.status = ready ? 200 : 503;
      return { status: ready ? "ready" : "unavailable", checks: report };
    });
}
