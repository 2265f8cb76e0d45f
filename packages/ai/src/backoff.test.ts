import { describe, expect, test } from "bun:test";
import { backoffDelay, DEFAULT_BACKOFF, parseRetryAfter, sleep } from "./backoff.ts";

describe("parseRetryAfter", () => {
  const now = Date.parse("2024-03-14T12:00:00Z");

  test("delta-seconds and HTTP dates", () => {
    expect(parseRetryAfter("2", now)).toBe(2_000);
    expect(parseRetryAfter(" 0.5 ", now)).toBe(500);
    expect(parseRetryAfter("Thu, 14 Mar 2024 12:00:07 GMT", now)).toBe(7_000);
    // A date in the past means "now".
    expect(parseRetryAfter("Thu, 14 Mar 2024 11:00:00 GMT", now)).toBe(0);
  });

  test("absent or unusable headers give undefined", () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("-3", now)).toBeUndefined();
  });
});

describe("backoffDelay", () => {
  test("full jitter below an exponential bound that stops at the cap", () => {
    const top = () => 0.999_999;
    expect(backoffDelay(1, DEFAULT_BACKOFF, top)).toBe(499);
    expect(backoffDelay(3, DEFAULT_BACKOFF, top)).toBe(1_999);
    expect(backoffDelay(10, DEFAULT_BACKOFF, top)).toBe(9_999);
    expect(backoffDelay(3, DEFAULT_BACKOFF, () => 0)).toBe(0);
  });
});

test("sleep rejects with the signal's reason when aborted", async () => {
  const controller = new AbortController();
  const started = performance.now();
  setTimeout(() => controller.abort(new Error("stop")), 20);
  await expect(sleep(5_000, controller.signal)).rejects.toThrow("stop");
  expect(performance.now() - started).toBeLessThan(1_000);
});
