import { describe, expect, test } from "bun:test";
import { AppError } from "@crpipeline/errors";
import { parseStageSchema } from "@crpipeline/pipeline";
import { INVOICE } from "./invoice.test-utils.ts";
import { runParse } from "./parse.ts";

/** A stage as the API stores it: validated, defaults filled in. */
const stage = (config: Record<string, unknown>) =>
  parseStageSchema.parse({ type: "parse", ...config });

describe("keywords", () => {
  test("counts case-insensitive occurrences and lists 1-based line numbers", async () => {
    const result = await runParse(
      stage({ keywords: ["invoice", "TOTAL", "pallet", "missing"] }),
      INVOICE,
    );

    // "INVOICE" (line 4), "Invoice date" (5), "INV-…" is not "invoice", "invoices@" (22).
    expect(result.keywords?.invoice).toEqual({ count: 3, lines: [4, 5, 22] });
    // Substring match: "Subtotal" and "Total due".
    expect(result.keywords?.TOTAL).toEqual({ count: 2, lines: [17, 19] });
    expect(result.keywords?.pallet).toEqual({ count: 2, lines: [14, 15] });
    expect(result.keywords?.missing).toEqual({ count: 0, lines: [] });
  });

  test("counts several occurrences on one line", async () => {
    const result = await runParse(stage({ keywords: ["ab"] }), "abab x AB\n\nab");
    expect(result.keywords?.ab).toEqual({ count: 4, lines: [1, 3] });
  });
});

describe("regex", () => {
  test("returns every match, a numbered group or a named group", async () => {
    const result = await runParse(
      stage({
        regex: [
          { name: "invoiceNumbers", pattern: "INV-\\d{4}-\\d{4}" },
          { name: "dates", pattern: "(\\d{4})-(\\d{2})-(\\d{2})", group: 1 },
          {
            name: "total",
            pattern: "Total due\\s+(?<currency>[A-Z]{3})\\s+(?<amount>[\\d.,]+)",
            group: "amount",
          },
          { name: "email", pattern: "[\\w.]+@[\\w.]+\\.[a-z]+" },
        ],
      }),
      INVOICE,
    );

    expect(result.regex).toEqual({
      invoiceNumbers: ["INV-2024-0117", "INV-2024-0117"],
      dates: ["2024", "2024"],
      total: ["143.57"],
      email: ["invoices@acme.example"],
    });
    expect(result.notes).toBeUndefined();
  });

  test("applies flags: i and m", async () => {
    const result = await runParse(
      stage({
        regex: [
          { name: "caseless", pattern: "^customer", flags: "im" },
          { name: "caseful", pattern: "^customer", flags: "m" },
        ],
      }),
      INVOICE,
    );
    expect(result.regex?.caseless).toEqual(["Customer"]);
    expect(result.regex?.caseful).toEqual([]);
  });

  test("a group given as digits in a string means the numbered group", async () => {
    const result = await runParse(
      stage({ regex: [{ name: "day", pattern: "(\\d{4})-(\\d{2})-(\\d{2})", group: "3" }] }),
      INVOICE,
    );
    expect(result.regex?.day).toEqual(["14", "13"]);
  });

  // The schema refuses these on write (packages/pipeline); a stage stored before that check, or
  // built without it, still fails with a clear 422 at run time.
  test("an unknown group name or number is a 422 naming the pattern", async () => {
    const unvalidated = (pattern: string, group: number | string) => ({
      type: "parse" as const,
      regex: [{ name: typeof group === "string" ? "total" : "n", pattern, group }],
    });
    const named = runParse(unvalidated("Total (?<amount>\\d+)", "sum"), INVOICE);
    await expect(named).rejects.toMatchObject({
      status: 422,
      code: "parse_invalid_group",
      message: 'regex "total" names no group of the pattern (its named groups: amount)',
    });

    const numbered = runParse(unvalidated("(a)(b)", 3), "ab");
    await expect(numbered).rejects.toThrow(
      'regex "n" asks for group 3 but the pattern has 2 capture groups',
    );
  });

  test("stops at the match cap and says so", async () => {
    const text = Array.from({ length: 50 }, (_, i) => `item ${i}`).join("\n");
    const result = await runParse(stage({ regex: [{ name: "items", pattern: "\\d+" }] }), text, {
      maxMatches: 10,
    });
    expect(result.regex?.items).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    expect(result.notes).toEqual(['regex "items" stopped at 10 matches']);
  });

  test("skips zero-width matches instead of returning empty strings", async () => {
    const result = await runParse(
      stage({ regex: [{ name: "digits", pattern: "\\d*" }] }),
      "a1b22c",
    );
    expect(result.regex?.digits).toEqual(["1", "22"]);
  });

  test("a catastrophically backtracking pattern is stopped with a 422 naming it", async () => {
    const text = `${"a".repeat(40)}b`;
    const started = performance.now();
    const run = runParse(
      stage({
        regex: [
          { name: "fine", pattern: "a+" },
          { name: "evil", pattern: "(a+)+$" },
        ],
      }),
      text,
      { regexTimeoutMs: 300 },
    );
    const error = await run.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    const elapsed = performance.now() - started;

    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ status: 422, code: "parse_regex_timeout" });
    expect((error as AppError).message).toContain('regex "evil" ran longer than 300 ms');
    // 2^40 steps would take hours; the guard answers within a few deadlines.
    expect(elapsed).toBeLessThan(3_000);
  });

  test("a stage that was never validated still gets a clear error for a broken pattern", async () => {
    const unvalidated = { type: "parse" as const, regex: [{ name: "bad", pattern: "(unclosed" }] };
    await expect(runParse(unvalidated, "x")).rejects.toMatchObject({
      status: 422,
      code: "parse_invalid_regex",
    });
  });
});

describe("lines", () => {
  test("returns non-empty trimmed lines up to the limit, with a note when cut", async () => {
    const result = await runParse(
      stage({ lines: { limit: 3 } }),
      "  first  \n\n \nsecond\nthird\nfourth",
    );
    expect(result.lines).toEqual(["first", "second", "third"]);
    expect(result.notes).toEqual(["lines stopped at the limit of 3"]);
  });

  test("filters by a pattern and applies the limit to the matching lines", async () => {
    const result = await runParse(
      stage({ lines: { match: "^\\S.*\\d+\\.\\d{2}$", limit: 4 } }),
      INVOICE,
    );
    expect(result.lines).toEqual([
      "Steel bolts M8 x 40     250       0.12          30.00",
      "Hex nuts M8            250        0.05         12.50",
      "Safety gloves (pair)    12       4.95           59.40",
      "Pallet deposit           1      1,250.00      1,250.00",
    ]);
    expect(result.notes).toEqual(["lines stopped at the limit of 4"]);
  });

  test("no note when everything fits", async () => {
    const result = await runParse(stage({ lines: { match: "^VAT" } }), INVOICE);
    expect(result.lines).toEqual(["VAT 19%                                         22.92"]);
    expect(result.notes).toBeUndefined();
  });
});

describe("input size", () => {
  test("text beyond maxInputChars is ignored and noted", async () => {
    const result = await runParse(stage({ keywords: ["x"] }), "x\n".repeat(100), {
      maxInputChars: 20,
    });
    expect(result.keywords?.x?.count).toBe(10);
    expect(result.notes).toEqual(["only the first 20 of 200 characters were parsed"]);
  });
});

test("all features together in one result", async () => {
  const result = await runParse(
    stage({
      keywords: ["VAT"],
      regex: [{ name: "iban", pattern: "IBAN ([A-Z]{2}\\d{2}(?: ?\\d{4}){4} ?\\d{2})", group: 1 }],
      table: { headerKeywords: ["description", "amount"], stopKeywords: ["subtotal"] },
      lines: { match: "^Total", limit: 5 },
    }),
    INVOICE,
  );
  expect(Object.keys(result).sort()).toEqual(["keywords", "lines", "regex", "table"]);
  expect(result.regex?.iban).toEqual(["DE89 3704 0044 0532 0130 00"]);
  expect(result.lines).toEqual(["Total due                                   EUR 143.57"]);
  expect(result.table?.rows).toHaveLength(6);
});
