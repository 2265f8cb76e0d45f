import { expect, test } from "bun:test";
import { retryDelayMs } from "./retry-delay.ts";

const backoff = { baseMs: 1000, capMs: 5000 };

test("the wait doubles with each attempt, within the upper half of its bound", () => {
  expect(retryDelayMs(1, backoff, () => 0)).toBe(500);
  expect(retryDelayMs(1, backoff, () => 1)).toBe(1000);
  expect(retryDelayMs(2, backoff, () => 0)).toBe(1000);
  expect(retryDelayMs(3, backoff, () => 1)).toBe(4000);
});

test("the wait never exceeds the cap", () => {
  expect(retryDelayMs(10, backoff, () => 1)).toBe(5000);
  expect(retryDelayMs(10, backoff, () => 0)).toBe(2500);
});
