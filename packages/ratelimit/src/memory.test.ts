import { describe, expect, test } from "bun:test";
import { createMemoryLimiter } from "./memory.ts";

const policy = { limit: 3, windowMs: 10_000 };
// A window start, so offsets inside the window are explicit.
const t0 = 1_700_000_000_000 - (1_700_000_000_000 % 10_000);

describe("memory limiter", () => {
  test("allows `limit` checks per window, then denies; remaining counts down", () => {
    const memory = createMemoryLimiter();
    const answers = [1, 2, 3, 4].map(() => memory.check("k", policy, t0 + 100));
    expect(answers.map((a) => a.success)).toEqual([true, true, true, false]);
    expect(answers.map((a) => a.remaining)).toEqual([2, 1, 0, 0]);
    expect(answers.every((a) => a.reset === t0 + 10_000)).toBe(true);
  });

  test("keys are independent", () => {
    const memory = createMemoryLimiter();
    for (let i = 0; i < 3; i++) memory.check("a", policy, t0);
    expect(memory.check("a", policy, t0).success).toBe(false);
    expect(memory.check("b", policy, t0).success).toBe(true);
  });

  test("the previous window still counts, weighted by its overlap", () => {
    const memory = createMemoryLimiter();
    for (let i = 0; i < 3; i++) memory.check("k", policy, t0 + 9_000);
    // 10% into the next window: 90% of 3 previous checks = 2.7, floored to 2.
    const early = memory.check("k", policy, t0 + 11_000);
    expect(early).toMatchObject({ success: true, remaining: 0 });
    expect(memory.check("k", policy, t0 + 11_000).success).toBe(false);
    // 70% into it: 30% of 3 = 0.9 → 0, plus 1 this window → two more allowed.
    const later = memory.check("k", policy, t0 + 17_000);
    expect(later).toMatchObject({ success: true, remaining: 1 });
  });

  test("two windows later everything is forgotten", () => {
    const memory = createMemoryLimiter();
    for (let i = 0; i < 4; i++) memory.check("k", policy, t0);
    expect(memory.check("k", policy, t0 + 20_000)).toMatchObject({ success: true, remaining: 2 });
  });

  test("stale entries are swept, so memory stays bounded over time", () => {
    const memory = createMemoryLimiter();
    for (let i = 0; i < 500; i++) memory.check(`k${i}`, policy, t0);
    expect(memory.size).toBe(500);
    memory.check("late", policy, t0 + 25_000);
    expect(memory.size).toBe(1);
  });

  test("past maxKeys the least recently used keys go first", () => {
    const memory = createMemoryLimiter({ maxKeys: 3 });
    for (const key of ["a", "b", "c"]) memory.check(key, policy, t0);
    for (let i = 0; i < 2; i++) memory.check("a", policy, t0);
    memory.check("d", policy, t0);
    expect(memory.size).toBe(3);
    // "a" was used recently and kept its count; "b" was evicted and starts over.
    expect(memory.check("a", policy, t0).success).toBe(false);
    expect(memory.check("b", policy, t0).remaining).toBe(2);
  });
});
