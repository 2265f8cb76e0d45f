/**
 * Block-level Markdown (headings, paragraphs, lists, code, rules, quotes, page breaks) on pages.
 */

import type { Token, Tokens } from "marked";
import type { Flow, Frame } from "./flow.ts";
import { drawLine, inlineRuns, layoutRuns, type Run } from "./inline.ts";
import { renderTable } from "./table.ts";
import { theme } from "./theme.ts";

const PAGE_BREAK_COMMENT = /^<!--\s*pagebreak\s*-->$/i;

export function renderBlocks(flow: Flow, tokens: readonly Token[], frame: Frame): void {
  for (const token of tokens) renderBlock(flow, token, frame);
}

function renderBlock(flow: Flow, token: Token, frame: Frame): void {
  switch (token.type) {
    case "space":
    case "def":
      break;
    case "heading":
      renderHeading(flow, token as Tokens.Heading, frame);
      break;
    case "paragraph":
      drawParagraph(flow, inlineRuns((token as Tokens.Paragraph).tokens, flow.text.clean), frame);
      flow.gap(theme.gap.paragraph);
      break;
    case "text": {
      // Bare text is the body of a tight list item: no gap after it.
      const text = token as Tokens.Text;
      drawParagraph(
        flow,
        text.tokens ? inlineRuns(text.tokens, flow.text.clean) : plainRuns(flow, text.text),
        frame,
      );
      break;
    }
    case "list":
      renderList(flow, token as Tokens.List, frame);
      break;
    case "code":
      renderCode(flow, (token as Tokens.Code).text, frame);
      break;
    case "table":
      renderTable(flow, token as Tokens.Table, frame);
      break;
    case "hr":
      renderRule(flow, frame);
      break;
    case "blockquote":
      renderQuote(flow, token as Tokens.Blockquote, frame);
      break;
    case "html":
      renderHtml(flow, (token as Tokens.HTML).text, frame);
      break;
    default: {
      const other = token as Tokens.Generic;
      if (other.tokens?.length) renderBlocks(flow, other.tokens, frame);
      else if (typeof other.text === "string")
        drawParagraph(flow, plainRuns(flow, other.text), frame);
    }
  }
}

function plainRuns(flow: Flow, text: string): Run[] {
  return [{ text: flow.text.clean(text.replace(/\n/g, " ")), style: {} }];
}

function drawParagraph(
  flow: Flow,
  runs: Run[],
  frame: Frame,
  size: number = theme.body.size,
): void {
  for (const line of layoutRuns(flow, runs, frame.width, size)) {
    flow.ensure(line.height);
    drawLine(flow, line, frame.left, flow.y, frame.width, { color: frame.color });
    flow.y += line.height;
  }
}

function renderHeading(flow: Flow, heading: Tokens.Heading, frame: Frame): void {
  const size = theme.headings.sizes[heading.depth - 1] ?? theme.body.size;
  const lines = layoutRuns(
    flow,
    inlineRuns(heading.tokens, flow.text.clean, { bold: true }),
    frame.width,
    size,
  );
  const height = lines.reduce((sum, line) => sum + line.height, 0);

  flow.gap(theme.gap.headingBefore);
  // Keep a heading with the first lines under it instead of alone at the foot of a page.
  flow.ensure(height + 2 * theme.body.size * theme.leading);
  for (const line of lines) {
    drawLine(flow, line, frame.left, flow.y, frame.width, { color: theme.headings.color });
    flow.y += line.height;
  }
  if (heading.depth === 1) {
    flow.y += 2;
    flow.doc
      .save()
      .lineWidth(0.8)
      .strokeColor(theme.rule)
      .moveTo(frame.left, flow.y)
      .lineTo(frame.left + frame.width, flow.y)
      .stroke()
      .restore();
  }
  flow.y += theme.gap.headingAfter;
}

function renderList(flow: Flow, list: Tokens.List, frame: Frame): void {
  const start = typeof list.start === "number" ? list.start : 1;
  const size = theme.body.size;
  const markers = list.items.map((item, i) => {
    if (item.task) return item.checked ? "[x]" : "[ ]";
    if (list.ordered) return `${start + i}.`;
    return frame.listDepth % 2 === 0 ? "•" : "–";
  });
  const widest = Math.max(...markers.map((marker) => flow.width(marker, "Helvetica", size)));
  const indent = Math.max(theme.list.indent, widest + 6);
  const inner: Frame = {
    ...frame,
    left: frame.left + indent,
    width: frame.width - indent,
    listDepth: frame.listDepth + 1,
  };

  list.items.forEach((item, i) => {
    const marker = markers[i] ?? "";
    const lineHeight = size * theme.leading;
    flow.ensure(lineHeight);
    const markerWidth = flow.width(marker, "Helvetica", size);
    flow.doc
      .font("Helvetica", size)
      .fillColor(frame.color)
      .text(marker, frame.left + indent - 5 - markerWidth, flow.y + lineHeight / 2 + size * 0.28, {
        lineBreak: false,
        baseline: "alphabetic",
      });

    renderBlocks(
      flow,
      item.tokens.filter((token) => token.type !== "checkbox"),
      inner,
    );
    if (list.loose) flow.gap(theme.gap.paragraph / 2);
  });
  if (frame.listDepth === 0) flow.gap(theme.gap.paragraph);
}

/** Wraps a code line at the column limit; monospace, so characters can be counted. */
function wrapColumns(line: string, columns: number): string[] {
  if (line.length <= columns) return [line];
  const parts: string[] = [];
  for (let at = 0; at < line.length; at += columns) parts.push(line.slice(at, at + columns));
  return parts;
}

function renderCode(flow: Flow, text: string, frame: Frame): void {
  const { size, padding, background } = theme.code;
  const lineHeight = size * 1.3;
  const columns = Math.max(
    1,
    Math.floor((frame.width - 2 * padding) / flow.width("M", "Courier", size)),
  );
  const lines = text
    .split("\n")
    .map((line) => flow.text.clean(line.replace(/\t/g, "    ")))
    .flatMap((line) => wrapColumns(line, columns));
  const band = (height: number) =>
    flow.doc.rect(frame.left, flow.y, frame.width, height + 0.5).fill(background);

  flow.gap(theme.gap.paragraph / 2);
  flow.ensure(padding + Math.min(lines.length, 3) * lineHeight);
  band(padding);
  flow.y += padding;
  for (const line of lines) {
    if (flow.y + lineHeight > flow.bottom) flow.newPage();
    band(lineHeight);
    flow.doc
      .font("Courier", size)
      .fillColor(frame.color)
      .text(line, frame.left + padding, flow.y + lineHeight / 2 + size * 0.28, {
        lineBreak: false,
        baseline: "alphabetic",
      });
    flow.y += lineHeight;
  }
  if (flow.y + padding <= flow.bottom) {
    band(padding);
    flow.y += padding;
  }
  flow.gap(theme.gap.block);
}

function renderRule(flow: Flow, frame: Frame): void {
  flow.gap(theme.gap.paragraph);
  flow.ensure(theme.gap.block);
  flow.doc
    .save()
    .lineWidth(0.8)
    .strokeColor(theme.rule)
    .moveTo(frame.left, flow.y)
    .lineTo(frame.left + frame.width, flow.y)
    .stroke()
    .restore();
  flow.gap(theme.gap.block);
}

function renderQuote(flow: Flow, quote: Tokens.Blockquote, frame: Frame): void {
  flow.ensure(theme.body.size * theme.leading);
  const bar = flow.openBar(frame.left + 1);
  const indent = theme.quote.indent;
  renderBlocks(flow, quote.tokens, {
    ...frame,
    left: frame.left + indent,
    width: frame.width - indent,
    color: theme.muted,
  });
  flow.closeBar(bar);
  flow.gap(theme.gap.paragraph);
}

function renderHtml(flow: Flow, html: string, frame: Frame): void {
  const trimmed = html.trim();
  if (PAGE_BREAK_COMMENT.test(trimmed)) {
    if (!flow.atTop) flow.newPage();
    return;
  }
  // Other comments are invisible, as in a browser; other markup shows its text only.
  const text = trimmed
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (!text) return;
  drawParagraph(flow, plainRuns(flow, text), frame);
  flow.gap(theme.gap.paragraph);
}
