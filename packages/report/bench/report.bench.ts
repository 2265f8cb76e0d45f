/** Benchmark: PDF pages per second for a 20-page report from the default template. */

import { type ReportContext, runReportStage } from "../src/index.ts";

const PARAGRAPH =
  "The supplier delivered the goods listed below on the agreed date. Payment is due within " +
  "thirty days of the invoice date; late payments accrue interest at the statutory rate. ";

/** A job whose default report is 20 pages: a summary page, 18 OCR pages, a table page. */
function benchContext(): ReportContext {
  const pages = Array.from({ length: 18 }, (_, i) => ({
    number: i + 1,
    text: `Invoice INV-2024-${String(i + 1).padStart(3, "0")}\n${PARAGRAPH.repeat(14)}`,
    source: "ocr",
  }));
  const rows = Array.from({ length: 30 }, (_, i) => [
    `Item ${i + 1}`,
    String(i % 7),
    (i * 2.5).toFixed(2),
  ]);
  return {
    document: { name: "bench.pdf", contentType: "application/pdf" },
    job: { id: "bench" },
    pipeline: { name: "Bench", stageCount: 4 },
    date: new Date("2025-01-01T00:00:00Z"),
    ocr: { text: pages.map((page) => page.text).join("\n"), pages },
    parsed: {
      keywords: { invoice: { count: 18, lines: [1] }, payment: { count: 18, lines: [2] } },
      regex: { invoiceNumber: pages.map((page) => `INV-2024-${page.number}`) },
      table: { headers: ["Item", "Qty", "Price"], rows },
    },
    ai: { content: "{}", json: { vendor: "ACME GmbH", total: 1234.5 } },
  };
}

/** Renders the report `rounds` times after one warm-up; returns PDF pages per second. */
export async function reportPagesPerSecond(rounds = 5): Promise<number> {
  const context = benchContext();
  const stage = { type: "report" as const };
  const warmUp = await runReportStage({ stage, context });
  if (warmUp.summary.pages < 18 || warmUp.summary.pages > 22) {
    throw new Error(`bench report has ${warmUp.summary.pages} pages, expected about 20`);
  }

  let pages = 0;
  const started = performance.now();
  for (let round = 0; round < rounds; round++) {
    pages += (await runReportStage({ stage, context })).summary.pages;
  }
  return pages / ((performance.now() - started) / 1000);
}

export default reportPagesPerSecond;

if (import.meta.main) {
  const pagesPerSecond = await reportPagesPerSecond();
  console.log(JSON.stringify({ bench: "report", pagesPerSecond: Math.round(pagesPerSecond) }));
}
