/** Markdown tables: fitted column widths, shaded header, rows that continue across pages. */

import type { Tokens } from "marked";
import type { Flow, Frame } from "./flow.ts";
import { type Align, drawLine, inlineRuns, type Line, layoutRuns, type Run } from "./inline.ts";
import { fontFor, theme } from "./theme.ts";

interface Row {
  cells: Line[][];
  header: boolean;
  stripe: boolean;
}

const { size, padding } = theme.table;
const lineHeight = size * theme.leading;

/** Widest unbreakable word of a cell: the column should not get narrower than that. */
function longestWord(flow: Flow, runs: Run[]): number {
  let widest = 0;
  for (const run of runs) {
    if ("lineBreak" in run) continue;
    for (const word of run.text.split(/ +/)) {
      const scale = run.style.code ? theme.inlineCode.scale : 1;
      widest = Math.max(widest, flow.width(word, fontFor(run.style), size * scale));
    }
  }
  return widest;
}

function naturalWidth(flow: Flow, runs: Run[]): number {
  return Math.max(
    0,
    ...layoutRuns(flow, runs, Number.POSITIVE_INFINITY, size).map((line) => line.width),
  );
}

/**
 * Every column gets its natural width when the table fits; otherwise each starts at its longest
 * word (capped, so one long URL cannot starve the others) and the rest is shared out in
 * proportion to how much more each column would like.
 */
function columnWidths(flow: Flow, grid: Run[][][], available: number): number[] {
  const columns = grid[0]?.length ?? 0;
  const pad = 2 * padding.x;
  const natural = Array.from(
    { length: columns },
    (_, c) => pad + Math.max(0, ...grid.map((row) => naturalWidth(flow, row[c] ?? []))),
  );
  const cap = available * theme.table.maxShareOfWidth;
  const minimum = Array.from({ length: columns }, (_, c) =>
    Math.min(cap, pad + Math.max(0, ...grid.map((row) => longestWord(flow, row[c] ?? [])))),
  );

  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  const naturalTotal = sum(natural);
  if (naturalTotal <= available) return natural.map((width) => (width * available) / naturalTotal);

  const minimumTotal = sum(minimum);
  if (minimumTotal >= available) return minimum.map((width) => (width * available) / minimumTotal);

  const wanted = natural.map((width, c) => width - (minimum[c] ?? 0));
  const wantedTotal = sum(wanted);
  return minimum.map(
    (width, c) => width + ((wanted[c] ?? 0) * (available - minimumTotal)) / wantedTotal,
  );
}

export function renderTable(flow: Flow, table: Tokens.Table, frame: Frame): void {
  const columns = table.header.length;
  const headerRuns = table.header.map((cell) =>
    inlineRuns(cell.tokens, flow.text.clean, { bold: true }),
  );
  const bodyRuns = table.rows.map((row) =>
    Array.from({ length: columns }, (_, c) => inlineRuns(row[c]?.tokens, flow.text.clean)),
  );
  const widths = columnWidths(flow, [headerRuns, ...bodyRuns], frame.width);
  const align = (c: number): Align => table.align[c] ?? "left";

  const layoutRow = (runs: Run[][]) =>
    runs.map((cell, c) => layoutRuns(flow, cell, (widths[c] ?? 0) - 2 * padding.x, size));
  const header: Row = { cells: layoutRow(headerRuns), header: true, stripe: false };
  const rows: Row[] = bodyRuns.map((runs, i) => ({
    cells: layoutRow(runs),
    header: false,
    stripe: i % 2 === 1,
  }));

  const rowLines = (row: Row) => Math.max(1, ...row.cells.map((cell) => cell.length));
  const headerHeight = rowLines(header) * lineHeight + 2 * padding.y;
  const freshPageLines = Math.floor(
    (flow.bottom - flow.top - headerHeight - 2 * padding.y) / lineHeight,
  );

  const drawSlice = (row: Row, from: number, count: number) => {
    const height = count * lineHeight + 2 * padding.y;
    let x = frame.left;
    row.cells.forEach((cell, c) => {
      const width = widths[c] ?? 0;
      const fill = row.header
        ? theme.table.headerBackground
        : row.stripe
          ? theme.table.stripeBackground
          : undefined;
      if (fill) flow.doc.rect(x, flow.y, width, height).fill(fill);
      flow.doc
        .save()
        .lineWidth(0.5)
        .strokeColor(theme.table.border)
        .rect(x, flow.y, width, height)
        .stroke()
        .restore();
      cell.slice(from, from + count).forEach((line, i) => {
        const top = flow.y + padding.y + i * lineHeight;
        drawLine(flow, line, x + padding.x, top, width - 2 * padding.x, {
          align: align(c),
          color: frame.color,
        });
      });
      x += width;
    });
    flow.y += height;
  };

  const drawRow = (row: Row) => {
    const total = rowLines(row);
    let done = 0;
    while (done < total) {
      const fits = Math.floor((flow.bottom - flow.y - 2 * padding.y) / lineHeight);
      const left = total - done;
      // Move a row that would fit whole on a fresh page rather than splitting it.
      if (left > fits && (fits < 1 || (done === 0 && left <= freshPageLines))) {
        flow.newPage();
        if (!row.header) drawRow(header);
        continue;
      }
      const count = Math.min(left, fits);
      drawSlice(row, done, count);
      done += count;
    }
  };

  flow.gap(theme.gap.paragraph / 2);
  const firstRow = rows[0] ? Math.min(rowLines(rows[0]), 3) * lineHeight + 2 * padding.y : 0;
  flow.ensure(headerHeight + firstRow);
  drawRow(header);
  for (const row of rows) drawRow(row);
  flow.gap(theme.gap.block);
}
