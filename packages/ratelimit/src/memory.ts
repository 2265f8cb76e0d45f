/**
 * In-process sliding-window limiter with the same arithmetic as @upstash/ratelimit's
 * slidingWindow (current window count plus the previous one weighted by how much of it still
 * overlaps), so answers do not change character when Redis drops out. Memory stays bounded:
 * stale entries are swept and the least recently used go first past `maxKeys`.
 */

import type { RateLimitPolicy } from "./policies.ts";

interface Entry {
  windowMs: number;
  /** Index of the window `current` counts, `floor(now / windowMs)`. */
  window: number;
  current: number;
  previous: number;
}

export interface MemoryCheck {
  success: boolean;
  remaining: number;
  reset: number;
}

export interface MemoryLimiter {
  check(key: string, policy: RateLimitPolicy, now?: number): MemoryCheck;
  readonly size: number;
}

const SWEEP_INTERVAL_MS = 1_000;

export function createMemoryLimiter({ maxKeys = 100_000 } = {}): MemoryLimiter {
  const entries = new Map<string, Entry>();
  let lastSweep = 0;

  const sweep = (now: number) => {
    lastSweep = now;
    for (const [key, entry] of entries) {
      if (entry.window < Math.floor(now / entry.windowMs) - 1) entries.delete(key);
    }
  };

  return {
    get size() {
      return entries.size;
    },

    check(key, { limit, windowMs }, now = Date.now()) {
      if (now - lastSweep >= SWEEP_INTERVAL_MS) sweep(now);

      const window = Math.floor(now / windowMs);
      const entry = advance(entries.get(key), window, windowMs);
      const overlap = 1 - (now % windowMs) / windowMs;
      const fromPrevious = Math.floor(overlap * entry.previous);
      const reset = (window + 1) * windowMs;

      // Delete then set moves the key to the end: Map order becomes least recently used first.
      entries.delete(key);
      entries.set(key, entry);
      for (const oldest of entries.keys()) {
        if (entries.size <= maxKeys) break;
        entries.delete(oldest);
      }

      if (entry.current + fromPrevious >= limit) return { success: false, remaining: 0, reset };
      entry.current += 1;
      return { success: true, remaining: limit - entry.current - fromPrevious, reset };
    },
  };
}

function advance(entry: Entry | undefined, window: number, windowMs: number): Entry {
  if (entry?.windowMs === windowMs && entry.window === window) return entry;
  if (entry?.windowMs === windowMs && entry.window === window - 1) {
    return { windowMs, window, current: 0, previous: entry.current };
  }
  return { windowMs, window, current: 0, previous: 0 };
}
