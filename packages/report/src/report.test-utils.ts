/** A realistic report context: three OCR pages of an invoice, parse output and an AI answer. */

import type { ReportContext } from "./context.ts";

export function invoicePage(number: number): string {
  return [
    `ACME GmbH — Invoice INV-2024-00${number}`,
    `Date: 2024-03-0${number}`,
    "",
    "Item        Qty   Price",
    "Widget       2    10.00",
    "Gadget       1    99.50",
    "Total: 119.50",
    "",
    `Notes for page ${number}: ${"Payment within 30 days of the invoice date. ".repeat(8)}`,
  ].join("\n");
}

export function invoiceContext(): ReportContext {
  const pages = [1, 2, 3].map((number) => ({
    number,
    text: invoicePage(number),
    source: number === 2 ? "ocr" : "text-layer",
  }));
  return {
    document: { name: "invoices_march.pdf", contentType: "application/pdf" },
    job: { id: "0b6f5c1e-job" },
    pipeline: { name: "Invoices", stageCount: 4 },
    date: new Date("2025-03-04T09:05:00Z"),
    ocr: { text: pages.map((page) => page.text).join("\n\n"), pages },
    parsed: {
      keywords: {
        invoice: { count: 6, lines: [1, 9, 13, 21, 25, 33] },
        total: { count: 3, lines: [7, 19, 31] },
      },
      regex: {
        invoiceNumber: ["INV-2024-001", "INV-2024-002", "INV-2024-003"],
        total: ["119.50", "119.50", "119.50"],
      },
      table: {
        headers: ["Item", "Qty", "Price"],
        rows: [
          ["Widget", "2", "10.00"],
          ["Gadget", "1", "99.50"],
        ],
        headerLine: 4,
        summary: {
          Qty: { count: 2, sum: 3, min: 1, max: 2, mean: 1.5 },
          Price: { count: 2, sum: 109.5, min: 10, max: 99.5, mean: 54.75 },
        },
      },
      lines: ["Total: 119.50", "Total: 119.50", "Total: 119.50"],
    },
    ai: {
      content: '{"vendor":"ACME GmbH","invoiceCount":3}',
      json: { vendor: "ACME GmbH", invoiceCount: 3, currency: "EUR" },
    },
  };
}
