import { describe, expect, test } from "bun:test";
import { parseStageSchema } from "@crpipeline/pipeline";
import { INVOICE } from "./invoice.test-utils.ts";
import { runParse } from "./parse.ts";

const tableStage = (table: Record<string, unknown>) =>
  parseStageSchema.parse({ type: "parse", table });

describe("table", () => {
  test("reads the invoice's item table and sums the numeric columns", async () => {
    const { table } = await runParse(
      tableStage({ headerKeywords: ["description", "qty", "amount"], stopKeywords: ["subtotal"] }),
      INVOICE,
    );

    expect(table?.headerLine).toBe(8);
    expect(table?.headers).toEqual(["Description", "Qty", "Unit Price", "Amount"]);
    expect(table?.rows).toEqual([
      ["Steel bolts M8 x 40", "250", "0.12", "30.00"],
      ["Hex nuts M8", "250", "0.05", "12.50"],
      ["Safety gloves (pair)", "12", "4.95", "59.40"],
      ["Pallet deposit", "1", "1,250.00", "1,250.00"],
      ["Returned pallet", "1", "-1,250.00", "(1,250.00)"],
      // Two spaces inside the description split it; the row is refitted to the header's width.
      ["Freight surcharge", "1", "18.75", "18.75"],
    ]);
    expect(table?.note).toBeUndefined();

    // The Amount column adds up to the invoice's own subtotal (120.65).
    expect(table?.summary).toEqual({
      Qty: { count: 6, sum: 515, min: 1, max: 250, mean: 85.8333333333333 },
      "Unit Price": { count: 6, sum: 23.87, min: -1250, max: 1250, mean: 3.97833333333333 },
      Amount: { count: 6, sum: 120.65, min: -1250, max: 1250, mean: 20.1083333333333 },
    });
  });

  test("without stop keywords a blank line ends the table", async () => {
    const { table } = await runParse(tableStage({ headerKeywords: ["Unit Price"] }), INVOICE);
    expect(table?.rows.map((row) => row[0])).toEqual([
      "Steel bolts M8 x 40",
      "Hex nuts M8",
      "Safety gloves (pair)",
      "Pallet deposit",
      "Returned pallet",
      "Freight surcharge",
      "Subtotal",
      "VAT 19%",
      "Total due",
    ]);
  });

  test("no header line gives an empty table with a note", async () => {
    const { table } = await runParse(
      tableStage({ headerKeywords: ["description", "discount"] }),
      INVOICE,
    );
    expect(table).toEqual({
      headers: [],
      rows: [],
      note: "no line contains all header keywords (description, discount)",
    });
  });

  test("a header with nothing under it is noted", async () => {
    const { table } = await runParse(tableStage({ headerKeywords: ["name"] }), "Name    Score\n\n");
    expect(table?.rows).toEqual([]);
    expect(table?.note).toBe("the header line is not followed by any rows");
    // Stop keyword matched before any row.
    const stopped = await runParse(
      tableStage({ headerKeywords: ["name"], stopKeywords: ["total"] }),
      "Name    Score\nTotal    3",
    );
    expect(stopped.table?.rows).toEqual([]);
  });

  test("Markdown pipes, tabs and a custom delimiter", async () => {
    const markdown = "| Item | Price |\n|------|------:|\n| Tea | 1.234,50 |\n| Cake | 2,00 |\n";
    const md = await runParse(tableStage({ headerKeywords: ["item", "price"] }), markdown);
    expect(md.table?.headers).toEqual(["Item", "Price"]);
    expect(md.table?.rows).toEqual([
      ["Tea", "1.234,50"],
      ["Cake", "2,00"],
    ]);
    expect(md.table?.summary?.Price).toEqual({
      count: 2,
      sum: 1236.5,
      min: 2,
      max: 1234.5,
      mean: 618.25,
    });

    const tabs = await runParse(tableStage({ headerKeywords: ["a"] }), "a\tb\n1\t2\n3\t4");
    expect(tabs.table?.summary).toEqual({
      a: { count: 2, sum: 4, min: 1, max: 3, mean: 2 },
      b: { count: 2, sum: 6, min: 2, max: 4, mean: 3 },
    });

    const csv = await runParse(
      tableStage({ headerKeywords: ["sku"], delimiter: ";", numericSummary: false }),
      "sku;name;qty\nA1;Bolt  M8;3\nB2;Nut;",
    );
    expect(csv.table?.rows).toEqual([
      ["A1", "Bolt  M8", "3"],
      ["B2", "Nut", ""],
    ]);
    expect(csv.table?.summary).toBeUndefined();
  });

  test("text columns are not summed; a column with one OCR slip still is", async () => {
    const text = [
      "Code      Product        Price",
      "1001      Hammer         12.00",
      "1002      Saw            8,5O",
      "ABC       Drill          40.00",
      "X9        Level          10.00",
    ].join("\n");
    const { table } = await runParse(tableStage({ headerKeywords: ["price"] }), text);
    // Code: two of four parse — half, still numeric. Product: none. Price: "8,5O" (letter O).
    expect(table?.summary).toEqual({
      Code: { count: 2, sum: 2003, min: 1001, max: 1002, mean: 1001.5 },
      Price: { count: 3, sum: 62, min: 10, max: 40, mean: 20.6666666666667 },
    });
  });

  test("rows wider than the header row get numbered column names", async () => {
    const { table } = await runParse(
      tableStage({ headerKeywords: ["x"], delimiter: "," }),
      "x,y\n1,2,3\n4,5,6",
    );
    expect(Object.keys(table?.summary ?? {})).toEqual(["x", "y", "column 3"]);
  });
});
