import { describe, expect, test } from "bun:test";
import { decimalSum, parseNumber } from "./numbers.ts";

describe("parseNumber", () => {
  const cases: [string, number | null][] = [
    ["1234", 1234],
    ["-12.5", -12.5],
    ["+3", 3],
    ["\u22127", -7],
    ["(45.00)", -45],
    ["($45.00)", -45],
    ["-$12.00", -12],
    ["1,234.56", 1234.56],
    ["-1,234,567.89", -1234567.89],
    ["1.234,56", 1234.56],
    ["-1.234.567,89", -1234567.89],
    ["1 234,56", 1234.56],
    ["1\u00a0234,56", 1234.56],
    ["1'234.56", 1234.56],
    ["$1,234.56", 1234.56],
    ["1.234,56 €", 1234.56],
    ["EUR 12,50", 12.5],
    ["143.57 USD", 143.57],
    ["19%", 19],
    // A lone comma before three digits groups thousands, a lone dot is a decimal point.
    ["1,234", 1234],
    ["1.234", 1.234],
    ["12,5", 12.5],
    ["1.234.567", 1234567],
    [" 0.00 ", 0],
  ];
  test.each(cases)("%p → %p", (raw, expected) => {
    expect(parseNumber(raw)).toBe(expected);
  });

  const rejected = ["", "-", "abc", "ABC123", "2 pcs", "12,34,567", "1,2,3", "1e5", "8,5O", "1 23"];
  test.each(rejected)("%p is not a number", (raw) => {
    expect(parseNumber(raw)).toBeNull();
  });

  test("decimalSum keeps cents exact where plain addition drifts", () => {
    const amounts = [0.12, 0.05, 4.95, 1250, -1250, 18.75];
    expect(amounts.reduce((a, b) => a + b, 0)).not.toBe(23.87);
    expect(decimalSum(amounts)).toBe(23.87);
    expect(decimalSum([0.1, 0.2])).toBe(0.3);
    expect(decimalSum([0.0000001, 0.0000002])).toBe(0.0000003);
    expect(decimalSum([])).toBe(0);
  });
});
