import { describe, expect, test } from "bun:test";
import { AppError } from "@crpipeline/errors";
import type { ReportContext } from "./context.ts";
import { countPageObjects, pageOf, readPdf } from "./pdf.test-utils.ts";
import { invoiceContext } from "./report.test-utils.ts";
import { runReportStage } from "./report-stage.ts";

const minimalContext: ReportContext = {
  document: { name: "notes.txt", contentType: "text/plain" },
  job: { id: "job-1" },
  pipeline: { name: "Plain", stageCount: 1 },
};

describe("runReportStage", () => {
  test("the default template renders a full report of a realistic job", async () => {
    const { pdf, summary } = await runReportStage({
      stage: { type: "report", title: "March invoices" },
      context: invoiceContext(),
    });
    const read = await readPdf(pdf);

    expect(summary).toEqual({
      title: "March invoices",
      pages: read.pageCount,
      documentName: "invoices_march.pdf",
      stageCount: 4,
      keywords: { invoice: 6, total: 3 },
      matches: { invoiceNumber: 3, total: 3 },
      tableRows: 2,
      aiUsed: true,
      warnings: [],
    });
    expect(countPageObjects(pdf)).toBe(read.pageCount);
    expect(read.info.Title).toBe("March invoices");

    const first = read.pages[0] ?? "";
    for (const expected of [
      "March invoices",
      "Document: invoices_march.pdf",
      "Job: 0b6f5c1e-job",
      "Pages: 3",
      "Generated: 2025-03-04 09:05 UTC",
      "Keyword Count Lines",
      "invoice 6 1, 9, 13, 21, 25, 33",
      "INV-2024-002",
      "Widget 2 10.00",
      "Price 2 109.5 10 99.5 54.75",
    ]) {
      expect(first).toContain(expected);
    }
    // The AI answer, then each OCR page on a page of its own, in order.
    expect(pageOf(read, '"vendor": "ACME GmbH"')).toBeGreaterThan(0);
    const textPages = [1, 2, 3].map((n) => pageOf(read, `Text of page ${n}`));
    expect(textPages[0]).toBeGreaterThan(pageOf(read, '"vendor": "ACME GmbH"'));
    expect(textPages).toEqual([
      textPages[0] ?? 0,
      (textPages[0] ?? 0) + 1,
      (textPages[0] ?? 0) + 2,
    ]);
    expect(read.pages[(textPages[1] ?? 0) - 1]).toContain("ACME GmbH — Invoice INV-2024-002");
    expect(read.pages[read.pageCount - 1]).toContain(`Page ${read.pageCount} of ${read.pageCount}`);
  });

  test("a job with no OCR, parse or AI output still gets a report, without those sections", async () => {
    const { pdf, summary } = await runReportStage({
      stage: { type: "report" },
      context: minimalContext,
    });
    const read = await readPdf(pdf);

    expect(summary).toEqual({
      title: "Report: notes.txt",
      pages: 1,
      documentName: "notes.txt",
      stageCount: 1,
      aiUsed: false,
      warnings: [],
    });
    expect(read.pages[0]).toContain("Report: notes.txt");
    expect(read.pages[0]).not.toContain("Keywords");
    expect(read.pages[0]).not.toContain("AI output");
  });

  test("a custom template's placeholders are filled and unknown ones reported in the summary", async () => {
    const template = [
      "# Invoice {{parsed.regex.invoiceNumber.0}}",
      "Vendor: {{ai.json.vendor}}, {{pages}} pages, {{parsed.table.rows.length}} rows.",
      "Missing: [{{parsed.regex.iban.0}}] [{{customer.name}}]",
      "\\pagebreak",
      "{{#each ocr.pages}}- page {{this.number}} from {{this.source}}",
      "{{/each}}",
    ].join("\n");

    const { pdf, summary } = await runReportStage({
      stage: { type: "report", title: "Custom", template },
      context: invoiceContext(),
    });
    const read = await readPdf(pdf);

    expect(read.pageCount).toBe(2);
    expect(summary.pages).toBe(2);
    expect(read.pages[0]).toContain("Invoice INV-2024-001");
    expect(read.pages[0]).toContain("Vendor: ACME GmbH, 3 pages, 2 rows.");
    expect(read.pages[0]).toContain("Missing: [] []");
    expect(read.pages[1]).toContain(
      "• page 1 from text-layer • page 2 from ocr • page 3 from text-layer",
    );
    expect(summary.warnings).toEqual([
      "Placeholder {{parsed.regex.iban.0}} has no value",
      "Unknown placeholder {{customer.name}}",
    ]);
  });

  test("text the standard fonts cannot draw is replaced and counted in the warnings", async () => {
    const context = invoiceContext();
    const text = "Amount – 20 € for 株式会社 😀";
    context.ocr = { text, pages: [{ number: 1, text }] };

    const { pdf, summary } = await runReportStage({ stage: { type: "report" }, context });

    expect(summary.warnings).toEqual([
      '5 characters have no glyph in the PDF\'s standard fonts and are shown as "?"',
    ]);
    expect((await readPdf(pdf)).pages.join(" ")).toContain("Amount – 20 € for ???? ?");
  });

  test("a template whose blocks do not nest fails the stage with a 400", async () => {
    const run = runReportStage({
      stage: { type: "report", template: "{{#each ocr.pages}}\n{{this.text}}" },
      context: invoiceContext(),
    });
    await expect(run).rejects.toBeInstanceOf(AppError);
    await expect(run).rejects.toMatchObject({ status: 400, code: "invalid_report_template" });
  });

  test("2 MB of OCR text renders, cut to a bounded report with a note and a warning", async () => {
    const line = "Invoice 4711 total 119.50 EUR payable within thirty days to ACME GmbH Berlin.";
    const text = Array.from({ length: Math.ceil(2_000_000 / (line.length + 1)) }, () => line).join(
      "\n",
    );
    expect(text.length).toBeGreaterThanOrEqual(2_000_000);

    const { pdf, summary } = await runReportStage({
      stage: { type: "report" },
      context: { ...minimalContext, ocr: { text, pages: [{ number: 1, text }] } },
    });
    const read = await readPdf(pdf);

    expect(summary.warnings).toEqual(["{{this.text}} was cut to 250000 characters"]);
    expect(read.pageCount).toBe(summary.pages);
    expect(read.pageCount).toBeGreaterThan(20);
    expect(read.pageCount).toBeLessThan(300);
    expect(read.pages[read.pageCount - 1]).toContain("more characters not shown");
  }, 60_000);
});
