import { describe, expect, test } from "bun:test";
import { countPageObjects, pageOf, readPdf } from "../pdf.test-utils.ts";
import { markPageBreaks, renderPdf, renderPdfDocument } from "./render-pdf.ts";

const lorem = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. ";

describe("renderPdf", () => {
  test("draws headings, inline styles, lists, tables, code and rules with metadata", async () => {
    const markdown = [
      "# Quarterly Summary",
      "Intro with **bold words**, *italic words* and `inline code`.",
      "## Items",
      "- apples",
      "- pears",
      "  - conference pears",
      "1. first step",
      "2. second step",
      "",
      "| Product | Quantity |",
      "|:--|--:|",
      "| Widget | 42 |",
      "| Gadget | 7 |",
      "",
      "```",
      "const total = 49;",
      "```",
      "---",
      "> quoted remark",
    ].join("\n");

    const bytes = await renderPdf(markdown, { title: "Quarterly € Summary" });
    const pdf = await readPdf(bytes);

    expect(pdf.pageCount).toBe(1);
    expect(countPageObjects(bytes)).toBe(1);
    const text = pdf.pages[0] ?? "";
    for (const expected of [
      "Quarterly Summary",
      "bold words",
      "italic words",
      "inline code",
      "Items",
      "apples",
      "conference pears",
      "1.",
      "second step",
      "Product",
      "Quantity",
      "Widget",
      "42",
      "Gadget",
      "const total = 49;",
      "quoted remark",
      "Page 1 of 1",
    ]) {
      expect(text).toContain(expected);
    }
    // Markdown syntax itself is not printed.
    expect(text).not.toContain("**");
    expect(text).not.toContain("|:--|");
    expect(pdf.info.Title).toBe("Quarterly € Summary");
    expect(pdf.info.Producer).toBe("crPipeline");
  });

  test("starts a new page at \\pagebreak and <!-- pagebreak --> lines, not inside code", async () => {
    const markdown = [
      "First page text",
      "\\pagebreak",
      "Second page text",
      "",
      "<!-- pagebreak -->",
      "",
      "Third page text",
      "```",
      "\\pagebreak",
      "```",
      "still third",
    ].join("\n");

    const pdf = await readPdf(await renderPdf(markdown, { title: "Breaks" }));

    expect(pdf.pageCount).toBe(3);
    expect(pageOf(pdf, "First page text")).toBe(1);
    expect(pageOf(pdf, "Second page text")).toBe(2);
    expect(pageOf(pdf, "Third page text")).toBe(3);
    expect(pageOf(pdf, "still third")).toBe(3);
    expect(pdf.pages[2]).toContain("\\pagebreak");
    expect(pdf.pages[1]).toContain("Page 2 of 3");
  });

  test("a page break at the top of a page adds no blank page", async () => {
    const pdf = await readPdf(
      await renderPdf("\\pagebreak\n\nonly\n\n\\pagebreak\n\\pagebreak\n", { title: "t" }),
    );
    expect(pdf.pageCount).toBe(2);
    expect(pageOf(pdf, "only")).toBe(1);
  });

  test("long text flows over several pages, each with its footer", async () => {
    const paragraphs = Array.from(
      { length: 60 },
      (_, i) => `Paragraph ${i + 1}. ${lorem.repeat(5)}`,
    );
    const rendered = await renderPdfDocument(paragraphs.join("\n\n"), { title: "Long" });
    const pdf = await readPdf(rendered.pdf);

    expect(pdf.pageCount).toBeGreaterThan(3);
    expect(rendered.pageCount).toBe(pdf.pageCount);
    expect(countPageObjects(rendered.pdf)).toBe(pdf.pageCount);
    pdf.pages.forEach((page, i) => {
      expect(page).toContain(`Page ${i + 1} of ${pdf.pageCount}`);
    });
    // Nothing is lost between pages and the order holds.
    expect(pageOf(pdf, "Paragraph 1.")).toBe(1);
    expect(pageOf(pdf, "Paragraph 60.")).toBe(pdf.pageCount);
    const firstPages = paragraphs.map((_, i) => pageOf(pdf, `Paragraph ${i + 1}.`));
    expect(firstPages.every((page) => page > 0)).toBe(true);
    expect([...firstPages].sort((a, b) => a - b)).toEqual(firstPages);
  });

  test("a table longer than a page repeats its header row on every page", async () => {
    const rows = Array.from(
      { length: 150 },
      (_, i) => `| item-${i + 1} | ${i * 3} | ${lorem.slice(0, 30 + (i % 40))} |`,
    );
    const markdown = [
      "Before the table.",
      "",
      "| Article | Quantity | Remark |",
      "|---|--:|---|",
      ...rows,
    ].join("\n");

    const pdf = await readPdf(await renderPdf(markdown, { title: "Table" }));

    expect(pdf.pageCount).toBeGreaterThan(2);
    for (const page of pdf.pages) {
      expect(page).toContain("Article Quantity Remark");
    }
    const pagesOfRows = rows.map((_, i) => pageOf(pdf, `item-${i + 1} `));
    expect(pagesOfRows.every((page) => page > 0)).toBe(true);
    expect([...pagesOfRows].sort((a, b) => a - b)).toEqual(pagesOfRows);
    expect(pagesOfRows[pagesOfRows.length - 1]).toBe(pdf.pageCount);
  });

  test("a table row taller than a page is split across pages rather than lost", async () => {
    const cell = Array.from({ length: 120 }, (_, i) => `word${i}`)
      .join(" ")
      .repeat(8);
    const pdf = await readPdf(
      await renderPdf(`| Head |\n|---|\n| ${cell} END |\n`, { title: "Tall" }),
    );
    expect(pdf.pageCount).toBeGreaterThan(1);
    expect(pageOf(pdf, "END")).toBe(pdf.pageCount);
    expect(pdf.pages.every((page) => page.includes("Head"))).toBe(true);
  });

  test("characters outside WinAnsi do not crash and become ? while € and – survive", async () => {
    const rendered = await renderPdfDocument(
      "# Prices – 2024\n\nTotal 20 € for 東京 and 😀, Łódź, ﬁne.\n\n| 名前 | € |\n|---|---|\n| 漢字 | – |\n\n```\n中文 code\n```",
      { title: "Unicode 東京" },
    );
    const pdf = await readPdf(rendered.pdf);

    expect(pdf.pages[0]).toContain("Prices – 2024");
    expect(pdf.pages[0]).toContain("Total 20 € for ?? and ?, Lódz, fine.");
    expect(pdf.pages[0]).toContain("?? code");
    // 東京 twice (text, footer), 😀, 名前, 漢字, 中文.
    expect(rendered.replacedCharacters).toBe(2 + 1 + 2 + 2 + 2 + 2);
    expect(pdf.info.Title).toBe("Unicode 東京");
  });

  test("an empty document is one page with a footer", async () => {
    const pdf = await readPdf(await renderPdf("", { title: "Empty" }));
    expect(pdf.pageCount).toBe(1);
    expect(pdf.pages[0]).toContain("Page 1 of 1");
  });

  test("markPageBreaks leaves fenced code alone", () => {
    expect(markPageBreaks("a\n\\pagebreak\nb")).toBe("a\n\n<!-- pagebreak -->\n\nb");
    expect(markPageBreaks("~~~\n\\pagebreak\n~~~")).toBe("~~~\n\\pagebreak\n~~~");
  });
});
