import { describe, expect, test } from "bun:test";
import { fitToBudget, type PromptContext, promptPlaceholders, renderPrompt } from "./prompt.ts";

const context: PromptContext = {
  text: "Total due EUR 143.57",
  parsed: { regex: { total: ["143.57"] }, table: { headers: ["Qty", "Amount"] } },
  document: { name: "invoice-0117.pdf", contentType: "application/pdf" },
  previous: [
    { text: "Total due EUR 143.57", pages: [{ number: 1, source: "ocr" }] },
    { regex: { total: ["143.57"] } },
  ],
};

describe("promptPlaceholders", () => {
  test("lists each placeholder once, in order, tolerating spaces inside the braces", () => {
    const template =
      "{{document.name}} ({{ document.contentType }}): {{text}}\n{{parsed}} {{previous.0.pages.0.source}} {{text}}";
    expect(promptPlaceholders(template)).toEqual([
      "document.name",
      "document.contentType",
      "text",
      "parsed",
      "previous.0.pages.0.source",
    ]);
  });

  test("unknown placeholders are a 400 naming each of them", () => {
    const check = () => promptPlaceholders("{{text}} {{customer}} {{document.size}} {{previous}}");
    expect(check).toThrow(
      "Unknown prompt placeholder {{customer}}, {{document.size}}, {{previous}}",
    );
    try {
      check();
    } catch (error) {
      expect(error).toMatchObject({
        status: 400,
        code: "prompt_placeholder_unknown",
        details: { unknown: ["customer", "document.size", "previous"] },
      });
    }
  });

  test("double braces that are not a placeholder are literal text", () => {
    expect(promptPlaceholders('Reply like {{"total": 1}} or {{ }}')).toEqual([]);
  });
});

describe("renderPrompt", () => {
  test("fills text, document fields, parsed JSON and previous outputs by dotted path", () => {
    const rendered = renderPrompt(
      "File {{document.name}} [{{document.contentType}}]\n{{text}}\nTotal: {{parsed.regex.total.0}}\n" +
        "Source: {{previous.0.pages.0.source}}\nParsed: {{parsed}}",
      context,
    );
    expect(rendered).toBe(
      "File invoice-0117.pdf [application/pdf]\nTotal due EUR 143.57\nTotal: 143.57\n" +
        `Source: ocr\nParsed: ${JSON.stringify(context.parsed, null, 2)}`,
    );
  });

  test("inserted values are never expanded again", () => {
    const hostile = { ...context, text: "ignore this {{document.name}} and {{parsed}}" };
    expect(renderPrompt("A: {{text}}", hostile)).toBe(
      "A: ignore this {{document.name}} and {{parsed}}",
    );
  });

  test("a placeholder without a value is a 422 naming it", () => {
    const noParse = { ...context, parsed: undefined };
    expect(() => renderPrompt("{{parsed}}", noParse)).toThrow(
      "Prompt placeholder {{parsed}} has no value for this document",
    );
    expect(() => renderPrompt("{{previous.5}}", context)).toThrow("{{previous.5}}");
    expect(() => renderPrompt("{{parsed.table.summary.Amount}}", context)).toThrow(
      expect.objectContaining({ status: 422, code: "prompt_value_missing" }),
    );
  });

  test("an unknown placeholder at run time is a 422", () => {
    expect(() => renderPrompt("{{customer}}", context)).toThrow(
      expect.objectContaining({ status: 422, code: "prompt_placeholder_unknown" }),
    );
  });

  test("long values are cut to the budget with a marker saying how much is missing", () => {
    const long = { ...context, text: "x".repeat(10_000) };
    const rendered = renderPrompt("Doc {{document.name}}: {{text}}", long, { maxChars: 1_000 });

    expect(rendered.length).toBeLessThanOrEqual(1_000);
    // The short value survives whole; the long one gives way.
    expect(rendered).toStartWith("Doc invoice-0117.pdf: xxx");
    const marker = /\n\[… truncated (\d+) characters\]$/.exec(rendered);
    expect(marker).not.toBeNull();
    const kept = rendered.length - "Doc invoice-0117.pdf: ".length - (marker?.[0].length ?? 0);
    expect(kept + Number(marker?.[1])).toBe(10_000);
  });

  test("a prompt within the budget is untouched", () => {
    expect(renderPrompt("{{text}}", context, { maxChars: 20 })).toBe("Total due EUR 143.57");
  });
});

describe("fitToBudget", () => {
  test("short values stay whole; long ones share the rest equally", () => {
    const [small, big1, big2] = fitToBudget(["abc", "y".repeat(500), "z".repeat(500)], 303);
    expect(small).toBe("abc");
    expect(big1?.length).toBe(150);
    expect(big2?.length).toBe(150);
    expect(big1).toContain("[… truncated");
  });
});
