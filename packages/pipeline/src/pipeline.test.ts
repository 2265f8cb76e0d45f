/** The pipeline schema refuses every bad stage on write, with the path and the reason. */

import { describe, expect, test } from "bun:test";
import { AppError } from "@crpipeline/errors";
import { captureGroups, parsePipeline, parseStage } from "./index.ts";

/** The `details` of the 400 a stage is refused with. */
function problems(stage: unknown): string[] {
  try {
    parseStage(stage);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).status).toBe(400);
    return (error as AppError).details as string[];
  }
  throw new Error(`stage was accepted: ${JSON.stringify(stage)}`);
}

const rule = (fields: Record<string, unknown>) => ({
  type: "parse",
  regex: [{ name: "total", pattern: "Total (\\d+)", ...fields }],
});

describe("parse stages", () => {
  test("a valid stage gets its defaults", () => {
    const stage = parseStage({ type: "parse", table: { headerKeywords: ["Item"] } });
    expect(stage).toEqual({
      type: "parse",
      table: { headerKeywords: ["Item"], stopKeywords: [], numericSummary: true },
    });
  });

  test("a stage asking for nothing is refused", () => {
    expect(problems({ type: "parse" })).toEqual([
      "needs at least one of keywords, regex, table, lines",
    ]);
  });

  test("a pattern that does not compile, alone or with its flags", () => {
    expect(problems(rule({ pattern: "Total (\\d+" }))).toEqual([
      "regex[0].pattern: is not a valid regular expression",
    ]);
    // `\-` is a valid escape without `u` and a syntax error with it.
    expect(problems(rule({ pattern: "a\\-b", flags: "u" }))).toEqual([
      'regex[0].pattern: is not a valid regular expression with flags "u"',
    ]);
  });

  test("flags outside i, m, s, u, or repeated, are refused", () => {
    expect(problems(rule({ flags: "g" }))).toContain("regex[0].flags: may only contain i, m, s, u");
    expect(problems(rule({ flags: "ii" }))).toContain("regex[0].flags: may not repeat a flag");
  });

  test("a capture group the pattern does not have is refused on write", () => {
    expect(problems(rule({ group: 2 }))).toEqual([
      "regex[0].group: asks for group 2 but the pattern has 1 capture group",
    ]);
    expect(problems(rule({ group: "3" }))).toEqual([
      "regex[0].group: asks for group 3 but the pattern has 1 capture group",
    ]);
    expect(problems(rule({ pattern: "Total (?<amount>\\d+)", group: "sum" }))).toEqual([
      "regex[0].group: names no group of the pattern (its named groups: amount)",
    ]);
    expect(problems(rule({ group: "sum" }))).toEqual([
      "regex[0].group: names no group of the pattern (its named groups: none)",
    ]);
  });

  test("groups the pattern has are accepted, by number, digits or name", () => {
    for (const group of [0, 1, "1"]) expect(parseStage(rule({ group }))).toBeTruthy();
    const named = parseStage(rule({ pattern: "Total (?<amount>\\d+)", group: "amount" }));
    expect(named).toMatchObject({ regex: [{ group: "amount" }] });
  });

  test("a bad table or lines config names the field", () => {
    expect(problems({ type: "parse", table: { headerKeywords: [] } })).toEqual([
      "table.headerKeywords: Too small: expected array to have >=1 items",
    ]);
    expect(problems({ type: "parse", table: { headerKeywords: ["a"], delim: ";" } })).toEqual([
      'table: Unrecognized key: "delim"',
    ]);
    expect(problems({ type: "parse", lines: { match: "(" } })).toEqual([
      "lines.match: is not a valid regular expression",
    ]);
    expect(problems({ type: "parse", lines: { limit: 0 } })).toEqual([
      "lines.limit: Too small: expected number to be >=1",
    ]);
  });
});

describe("other stages", () => {
  test("an external OCR engine needs its endpoint", () => {
    expect(problems({ type: "ocr", engine: "external" })).toEqual([
      "endpoint: is required for engine external",
    ]);
  });

  test("an AI stage takes exactly one of prompt and promptName", () => {
    expect(problems({ type: "ai" })).toEqual(["prompt: give exactly one of prompt, promptName"]);
    expect(problems({ type: "ai", prompt: "p", promptName: "n" })).toEqual([
      "prompt: give exactly one of prompt, promptName",
    ]);
  });

  test("an unknown stage type is refused", () => {
    expect(problems({ type: "shell", command: "rm -rf /" })[0]).toStartWith("type:");
  });
});

describe("pipelines", () => {
  test("every problem of every stage is listed with its index", () => {
    try {
      parsePipeline({ name: " ", stages: [{ type: "ocr", dpi: 10 }, { type: "parse" }] });
      throw new Error("accepted");
    } catch (error) {
      expect((error as AppError).details).toEqual([
        "name: Too small: expected string to have >=1 characters",
        "stages[0].dpi: Too small: expected number to be >=72",
        "stages[1]: needs at least one of keywords, regex, table, lines",
      ]);
    }
  });
});

describe("captureGroups", () => {
  test("counts numbered and named groups without running the pattern on text", () => {
    expect(captureGroups("(a)(?:b)(?<c>c)")).toEqual({ count: 2, names: ["c"] });
    expect(captureGroups("x")).toEqual({ count: 0, names: [] });
  });
});
