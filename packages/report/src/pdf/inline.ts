/** Inline Markdown (bold, italic, code, links, breaks) turned into styled runs, lines and ink. */

import type { Token, Tokens } from "marked";
import type { Flow } from "./flow.ts";
import { fontFor, type InlineStyle, theme } from "./theme.ts";

export type Run = { text: string; style: InlineStyle } | { lineBreak: true };

export interface Segment {
  text: string;
  style: InlineStyle;
  font: string;
  size: number;
  width: number;
}

export interface Line {
  segments: Segment[];
  width: number;
  height: number;
}

export type Align = "left" | "center" | "right";

const NAMED_ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: "\u00a0",
  copy: "©",
  reg: "®",
  euro: "€",
  ndash: "–",
  mdash: "—",
  hellip: "…",
};

/** marked leaves named entities in text tokens (an HTML renderer would decode them). */
function decodeEntities(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === "#") {
      const code =
        name[1] === "x" || name[1] === "X"
          ? Number.parseInt(name.slice(2), 16)
          : Number(name.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[name.toLowerCase()] ?? whole;
  });
}

function isSafeLink(href: string): boolean {
  return /^(https?:|mailto:)/i.test(href);
}

/**
 * Flattens inline tokens into runs, each carrying the style of every token around it. `clean`
 * makes the text drawable once here, so measuring a run twice never counts a character twice.
 */
export function inlineRuns(
  tokens: readonly Token[] | undefined,
  clean: (text: string) => string,
  style: InlineStyle = {},
): Run[] {
  const runs: Run[] = [];
  const push = (text: string, runStyle: InlineStyle) =>
    runs.push({ text: clean(text), style: runStyle });
  for (const token of tokens ?? []) {
    switch (token.type) {
      case "text": {
        const text = token as Tokens.Text;
        if (text.tokens?.length) runs.push(...inlineRuns(text.tokens, clean, style));
        else push(decodeEntities(text.text).replace(/\n/g, " "), style);
        break;
      }
      case "escape":
        push((token as Tokens.Escape).text, style);
        break;
      case "strong":
        runs.push(...inlineRuns((token as Tokens.Strong).tokens, clean, { ...style, bold: true }));
        break;
      case "em":
        runs.push(...inlineRuns((token as Tokens.Em).tokens, clean, { ...style, italic: true }));
        break;
      case "del":
        runs.push(...inlineRuns((token as Tokens.Del).tokens, clean, { ...style, strike: true }));
        break;
      case "codespan":
        push((token as Tokens.Codespan).text, { ...style, code: true });
        break;
      case "br":
        runs.push({ lineBreak: true });
        break;
      case "link": {
        const link = token as Tokens.Link;
        const linked: InlineStyle = isSafeLink(link.href)
          ? { ...style, link: link.href, color: theme.link, underline: true }
          : style;
        runs.push(...inlineRuns(link.tokens, clean, linked));
        break;
      }
      case "image":
        // Images are never fetched: a report must not reach the network or the file system.
        push(`[image: ${(token as Tokens.Image).text}]`, {
          ...style,
          italic: true,
          color: theme.muted,
        });
        break;
      case "html": {
        const html = (token as Tokens.HTML).text;
        if (/^<br\s*\/?>$/i.test(html.trim())) runs.push({ lineBreak: true });
        else push(html.replace(/\n/g, " "), style);
        break;
      }
      case "checkbox":
        break;
      default: {
        const other = token as Tokens.Generic;
        if (other.tokens?.length) runs.push(...inlineRuns(other.tokens, clean, style));
        else if (typeof other.text === "string") push(other.text, style);
      }
    }
  }
  return runs;
}

function styleKey(style: InlineStyle): string {
  const { code, link, color, strike, underline } = style;
  return [fontFor(style), code, link, color, strike, underline].map((v) => v ?? "").join("|");
}

/**
 * Breaks runs into lines no wider than `maxWidth`: greedy, at spaces, inside words only if one word
 * is wider than a line.
 */
export function layoutRuns(
  flow: Flow,
  runs: readonly Run[],
  maxWidth: number,
  size: number,
): Line[] {
  const height = size * theme.leading;
  const lines: Line[] = [];
  let segments: Segment[] = [];
  let lineWidth = 0;
  let unit: { text: string; style: InlineStyle }[] = [];
  let spaceStyle: InlineStyle | undefined;

  const sizeOf = (style: InlineStyle) => (style.code ? size * theme.inlineCode.scale : size);

  const append = (text: string, style: InlineStyle, width: number) => {
    const last = segments[segments.length - 1];
    if (last && styleKey(last.style) === styleKey(style)) {
      last.text += text;
      last.width += width;
    } else {
      segments.push({ text, style, font: fontFor(style), size: sizeOf(style), width });
    }
    lineWidth += width;
  };

  const endLine = () => {
    lines.push({ segments, width: lineWidth, height });
    segments = [];
    lineWidth = 0;
  };

  const placeUnit = () => {
    if (unit.length === 0) return;
    const widths = unit.map((part) =>
      flow.width(part.text, fontFor(part.style), sizeOf(part.style)),
    );
    const unitWidth = widths.reduce((sum, width) => sum + width, 0);
    let spaceWidth =
      spaceStyle && segments.length > 0 ? flow.width(" ", fontFor(spaceStyle), size) : 0;

    if (segments.length > 0 && lineWidth + spaceWidth + unitWidth > maxWidth) {
      endLine();
      spaceWidth = 0;
    }
    if (spaceWidth > 0 && spaceStyle) append(" ", spaceStyle, spaceWidth);

    if (unitWidth <= maxWidth - lineWidth) {
      unit.forEach((part, i) => {
        append(part.text, part.style, widths[i] ?? 0);
      });
    } else {
      // A word wider than the line (a URL, a hash, a long number) is cut between characters.
      for (const part of unit) {
        for (const char of part.text) {
          const width = flow.width(char, fontFor(part.style), sizeOf(part.style));
          if (segments.length > 0 && lineWidth + width > maxWidth) endLine();
          append(char, part.style, width);
        }
      }
    }
    unit = [];
    spaceStyle = undefined;
  };

  for (const run of runs) {
    if ("lineBreak" in run) {
      placeUnit();
      endLine();
      continue;
    }
    for (const piece of run.text.split(/( +)/)) {
      if (piece === "") continue;
      if (piece[0] === " ") {
        placeUnit();
        spaceStyle = run.style;
      } else {
        unit.push({ text: piece, style: run.style });
      }
    }
  }
  placeUnit();
  if (segments.length > 0) endLine();
  return lines;
}

/** Draws one laid-out line with its top at `top`. */
export function drawLine(
  flow: Flow,
  line: Line,
  left: number,
  top: number,
  width: number,
  options: { align?: Align; color: string },
): void {
  const doc = flow.doc;
  const free = width - line.width;
  let x = left + (options.align === "right" ? free : options.align === "center" ? free / 2 : 0);

  for (const segment of line.segments) {
    const { style, size } = segment;
    const baseline = top + line.height / 2 + size * 0.28;

    if (style.code) {
      doc
        .rect(x - 1, baseline - size * 0.82, segment.width + 2, size * 1.08)
        .fill(theme.inlineCode.background);
    }
    const color = style.color ?? options.color;
    doc
      .font(segment.font, size)
      .fillColor(color)
      .text(segment.text, x, baseline, { lineBreak: false, baseline: "alphabetic" });

    if (style.underline || style.strike) {
      const y = style.strike ? baseline - size * 0.3 : baseline + size * 0.12;
      doc
        .save()
        .lineWidth(0.6)
        .strokeColor(color)
        .moveTo(x, y)
        .lineTo(x + segment.width, y)
        .stroke()
        .restore();
    }
    if (style.link) doc.link(x, top, segment.width, line.height, style.link);
    x += segment.width;
  }
}
