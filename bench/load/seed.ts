/** Load-test set-up through the public API: admin session, a tiny pipeline, a pool of API keys. */

import { ADMIN } from "./cluster.ts";

/** parse → report over a few lines of text: cheap enough that the workers keep up. */
export const LOAD_PIPELINE = {
  name: "load",
  stages: [
    { type: "parse", keywords: ["Invoice", "Total"] },
    { type: "report", title: "Load test" },
  ],
};

// The `api` policy allows 600 calls a minute per key (a sliding window); staying at 8 a second
// per key (480 a minute) leaves room for the window's weighting of the previous minute.
const KEY_INTERVAL_MS = 125;

async function call<T>(
  url: string,
  path: string,
  init: { method?: string; token?: string; body?: unknown },
): Promise<T> {
  const response = await fetch(`${url}${path}`, {
    method: init.method ?? "POST",
    headers: {
      "content-type": "application/json",
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

export interface Seeded {
  pipelineId: string;
  keys: KeyPool;
}

/**
 * A pool of API keys handed out least recently used first, each at most once per
 * KEY_INTERVAL_MS: the load stays under the per-key rate limit by construction, so a 429 means
 * the server's limiter disagrees, not that the client was careless.
 */
export interface KeyPool {
  readonly size: number;
  /** A key that may be used now (waits when every key was used too recently). */
  take(): Promise<string>;
  /** How many `take()` calls had to wait: non-zero means the pool, not the API, set the pace. */
  readonly waits: number;
}

export function createKeyPool(keys: string[]): KeyPool {
  const queue = keys.map((key) => ({ key, usedAt: 0 }));
  let waits = 0;
  return {
    size: keys.length,
    get waits() {
      return waits;
    },
    async take() {
      const next = queue.shift();
      if (!next) throw new Error("the key pool is empty");
      const wait = next.usedAt + KEY_INTERVAL_MS - performance.now();
      next.usedAt = Math.max(performance.now(), next.usedAt + KEY_INTERVAL_MS);
      queue.push(next);
      if (wait > 0) {
        waits += 1;
        await Bun.sleep(wait);
      }
      return next.key;
    },
  };
}

/** Logs the admin in, creates the pipeline and `keyCount` API keys (all through the API). */
export async function seed(url: string, keyCount: number): Promise<Seeded> {
  const { token } = await call<{ token: string }>(url, "/api/auth/login", {
    body: { email: ADMIN.email, password: ADMIN.password },
  });
  const { pipeline } = await call<{ pipeline: { id: string } }>(url, "/api/pipelines", {
    token,
    body: LOAD_PIPELINE,
  });

  const keys: string[] = [];
  // Ten at a time: quick, and well inside the admin's own 600-a-minute allowance.
  while (keys.length < keyCount) {
    const batch = Math.min(10, keyCount - keys.length);
    const created = await Promise.all(
      Array.from({ length: batch }, (_, i) =>
        call<{ key: string }>(url, "/api/api-keys", {
          token,
          body: { name: `load-${keys.length + i}` },
        }),
      ),
    );
    keys.push(...created.map((answer) => answer.key));
  }
  return { pipelineId: pipeline.id, keys: createKeyPool(keys) };
}
