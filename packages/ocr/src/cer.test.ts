import { describe, expect, test } from "bun:test";
import { cer } from "./cer.ts";

describe("cer", () => {
  test("is 0 for identical text and ignores whitespace layout and ligature forms", () => {
    expect(cer("Total: 1,234.56 EUR", "Total: 1,234.56 EUR")).toBe(0);
    expect(cer("a b\nc", "  a   b c\n\n")).toBe(0);
    expect(cer("office", "o\uFB03ce")).toBe(0);
  });

  test("counts substitutions, insertions and deletions against the reference length", () => {
    expect(cer("abcd", "abed")).toBe(0.25);
    expect(cer("abcd", "abcde")).toBe(0.25);
    expect(cer("abcd", "abd")).toBe(0.25);
    expect(cer("kitten", "sitting")).toBeCloseTo(3 / 6);
  });

  test("handles empty sides", () => {
    expect(cer("", "")).toBe(0);
    expect(cer("", "x")).toBe(1);
    expect(cer("abc", "")).toBe(1);
  });
});
