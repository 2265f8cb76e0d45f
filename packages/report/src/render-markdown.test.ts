import { describe, expect, test } from "bun:test";
import { AppError } from "@crpipeline/errors";
import { Lexer, type Tokens } from "marked";
import type { ReportContext } from "./context.ts";
import { renderReportMarkdown } from "./render-markdown.ts";

const context: ReportContext = {
  document: { name: "scan_01.pdf", contentType: "application/pdf" },
  job: { id: "job-7" },
  pipeline: { name: "Invoices", stageCount: 3 },
  date: new Date("2025-03-04T09:05:00Z"),
  ocr: {
    text: "first page\nsecond page",
    pages: [
      { number: 1, text: "first page", source: "text-layer" },
      { number: 2, text: "second page", source: "ocr" },
    ],
  },
  parsed: {
    regex: { invoice: ["INV-1", "INV-2"] },
    keywords: { total: { count: 2, lines: [3, 9] } },
    table: {
      headers: ["Item", "Qty"],
      rows: [
        ["Widget", "2"],
        ["Gadget", "5"],
      ],
    },
    lines: ["line a", "line b"],
  },
  ai: { content: "## Verdict\n\nLooks **fine**.", json: { vendor: { name: "ACME" }, total: 20.5 } },
};

const render = (template: string, ctx: ReportContext = context) =>
  renderReportMarkdown(template, ctx);
const blocks = (markdown: string) =>
  new Lexer({ gfm: true }).lex(markdown).filter((token) => token.type !== "space");

function templateError(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected an AppError");
}

describe("renderReportMarkdown placeholders", () => {
  test("fills document, job, pipeline, date, text, pages, parsed and ai values", () => {
    const { markdown, warnings } = render(
      "{{document.name}}|{{document.contentType}}|{{job.id}}|{{pipeline.name}}|{{date}}|{{pages}}|{{parsed.regex.invoice.1}}|{{ai.json.vendor.name}}|{{ai.json.total}}|{{parsed.regex.invoice.length}}",
    );
    expect(markdown).toBe(
      "scan\\_01\\.pdf|application/pdf|job\\-7|Invoices|2025\\-03\\-04 09\\:05 UTC|2|INV\\-2|ACME|20\\.5|2",
    );
    expect(warnings).toEqual([]);
  });

  test("inserted text shows literally: Markdown in it is escaped and placeholders in it stay text", () => {
    const ocrText =
      "# not a heading\n* not a list\n| a | b |\n{{job.id}} <b>x</b> \\pagebreak\n    indented";
    const ctx = { ...context, ocr: { text: ocrText, pages: [] } };

    const { markdown } = render("{{text}}", ctx);
    const tokens = blocks(markdown);

    expect(tokens).toHaveLength(1);
    expect(tokens[0]?.type).toBe("paragraph");
    const paragraph = tokens[0] as Tokens.Paragraph;
    const shown = paragraph.tokens
      .map((token) => (token.type === "br" ? "\n" : "text" in token ? token.text : ""))
      .join("");
    expect(shown).toBe(ocrText.replace("    indented", "\u00a0\u00a0\u00a0\u00a0indented"));
    expect(markdown).not.toContain("job-7");
  });

  test("triple braces insert Markdown as Markdown", () => {
    const tokens = blocks(render("{{{ai.content}}}").markdown);
    expect(tokens.map((token) => token.type)).toEqual(["heading", "paragraph"]);
  });

  test("unknown names, missing values and bad tags render empty and are warned about, once each", () => {
    const { markdown, warnings } = render(
      "a{{nope.x}}b{{parsed.missing}}c{{nope.x}}d{{chart parsed.table}}e{{ }}f{{parsed.constructor}}g{{this}}h",
    );
    expect(markdown).toBe("abcdefgh");
    expect(warnings).toEqual([
      "Unknown placeholder {{nope.x}}",
      "Placeholder {{parsed.missing}} has no value",
      '{{chart parsed.table}} uses an unknown helper "chart"',
      "{{ }} is not a placeholder",
      "Placeholder {{parsed.constructor}} has no value",
      "Unknown placeholder {{this}}",
    ]);
  });
});

describe("renderReportMarkdown blocks and helpers", () => {
  test("#each over a list and over an object, with this and @key", () => {
    const template =
      "{{#each parsed.regex.invoice}}- {{this}}\n{{/each}}\n{{#each parsed.keywords}}{{@key}}={{this.count}};{{/each}}";
    expect(render(template).markdown).toBe("- INV\\-1\n- INV\\-2\ntotal=2;");
  });

  test("block tags alone on a line leave no line behind, so generated rows stay one table", () => {
    const template = [
      "| Item | Qty |",
      "|---|---|",
      "{{#each parsed.table.rows}}",
      "| {{this.0}} | {{this.1}} |",
      "{{/each}}",
    ].join("\n");
    const [table] = blocks(render(template).markdown) as Tokens.Table[];
    expect(table?.type).toBe("table");
    expect(table?.rows.map((row) => row.map((cell) => cell.text))).toEqual([
      ["Widget", "2"],
      ["Gadget", "5"],
    ]);
  });

  test("#if renders its branch without warning about what is missing", () => {
    const template =
      "{{#if ai}}AI{{else}}no AI{{/if}} {{#if parsed.nothing}}yes{{else}}no{{/if}} {{#if parsed.lines}}lines{{/if}}";
    const withAi = render(template);
    expect(withAi.markdown).toBe("AI no lines");
    expect(withAi.warnings).toEqual([]);
    expect(render(template, { ...context, ai: undefined }).markdown).toBe("no AI no lines");
  });

  test("{{table}} writes a Markdown table from the parse output, an array of objects and a record", () => {
    const [fromParse] = blocks(render("{{table parsed.table}}").markdown) as Tokens.Table[];
    expect(fromParse?.header.map((cell) => cell.text)).toEqual(["Item", "Qty"]);
    expect(fromParse?.rows.map((row) => row.map((cell) => cell.text))).toEqual([
      ["Widget", "2"],
      ["Gadget", "5"],
    ]);
    expect(fromParse?.align).toEqual([null, "right"]);

    const ctx = {
      ...context,
      parsed: { people: [{ name: "Ann|B", age: 3 }, { name: "Bo" }], totals: { net: 10, vat: 2 } },
    };
    const [people] = blocks(render("{{table parsed.people}}", ctx).markdown) as Tokens.Table[];
    expect(people?.header.map((cell) => cell.text)).toEqual(["name", "age"]);
    expect(people?.rows.map((row) => row.map((cell) => cell.text))).toEqual([
      ["Ann|B", "3"],
      ["Bo", ""],
    ]);
    const [totals] = blocks(render("{{table parsed.totals}}", ctx).markdown) as Tokens.Table[];
    expect(totals?.rows.map((row) => row.map((cell) => cell.text))).toEqual([
      ["net", "10"],
      ["vat", "2"],
    ]);
  });

  test("{{list}} and {{json}} write a list and a fenced block that content cannot close", () => {
    const [list] = blocks(render("{{list parsed.lines}}").markdown) as Tokens.List[];
    expect(list?.items.map((item) => item.text)).toEqual(["line a", "line b"]);
    expect(render("{{list parsed.nothing}}").markdown).toBe("");

    const ctx = { ...context, ai: { content: "", json: { code: "```js\nx\n```" } } };
    const tokens = blocks(render("{{json ai.json}}\nafter", ctx).markdown);
    expect(tokens.map((token) => token.type)).toEqual(["code", "paragraph"]);
    expect(JSON.parse((tokens[0] as Tokens.Code).text)).toEqual({ code: "```js\nx\n```" });
  });

  test("the default template is used without a template and warns about nothing", () => {
    const { markdown, warnings } = renderReportMarkdown(undefined, context, { title: "My report" });
    expect(warnings).toEqual([]);
    expect(markdown.startsWith("# My report\n")).toBe(true);
    for (const part of [
      "## Keywords",
      "## Matches",
      "INV\\-2",
      "## Table",
      "## AI output",
      "## Text of page 2",
    ]) {
      expect(markdown).toContain(part);
    }
  });
});

describe("renderReportMarkdown limits and errors", () => {
  test("a value longer than the limit is cut with a note and a warning", () => {
    const ctx = { ...context, ocr: { text: "x".repeat(5000), pages: [] } };
    const { markdown, warnings } = renderReportMarkdown("{{text}}", ctx, { maxValueChars: 1000 });
    expect(markdown.startsWith("x".repeat(1000))).toBe(true);
    expect(markdown).not.toContain("x".repeat(1001));
    expect(markdown).toContain("4000 more characters not shown");
    expect(warnings).toEqual(["{{text}} was cut to 1000 characters"]);
  });

  test("a report longer than the limit is cut at a line, closing an open code fence", () => {
    const ctx = {
      ...context,
      ai: { content: `\`\`\`\n${"code line\n".repeat(500)}\`\`\`\n`, json: undefined },
    };
    const { markdown, warnings } = renderReportMarkdown("{{{ai.content}}}", ctx, {
      maxReportChars: 2000,
    });
    expect(markdown.length).toBeLessThan(2300);
    expect(warnings).toHaveLength(1);
    const tokens = blocks(markdown);
    expect(tokens.map((token) => token.type)).toEqual(["code", "hr", "paragraph"]);
    expect((tokens[2] as Tokens.Paragraph).text).toContain("The report was cut here");
  });

  test.each([
    ["{{#each parsed.lines}}x", "{{#each}} from line 1 is never closed"],
    ["a\n{{/if}}", "{{/if}} on line 2 closes nothing"],
    ["{{#if ai}}\n\n{{/each}}", "{{/each}} on line 3 closes {{#if}} from line 1"],
    ["{{else}}", "{{else}} on line 1 is not inside {{#if}}"],
    ["{{#if ai}}{{else}}{{else}}{{/if}}", "{{else}} on line 1 is not inside {{#if}}"],
    ["{{#with ai}}{{/with}}", "unknown block {{#with ai}} on line 1"],
    ["{{#each}}{{/each}}", "{{#each}} on line 1 needs one path"],
  ])("%p is a 400 invalid_report_template", (template, message) => {
    const error = templateError(() => render(template));
    expect(error.status).toBe(400);
    expect(error.code).toBe("invalid_report_template");
    expect(error.message).toContain(message);
  });
});
