/** Page geometry, fonts, sizes and colours of the report PDF, in one place. */

export const theme = {
  /** A4 in PDF points. */
  page: { size: "A4", width: 595.28, height: 841.89 },
  margin: { top: 56, bottom: 64, left: 56, right: 56 },
  /** Line height as a multiple of the font size. */
  leading: 1.35,
  body: { size: 10.5, color: "#1f2937" },
  muted: "#6b7280",
  link: "#1d4ed8",
  rule: "#d1d5db",
  headings: { color: "#111827", sizes: [20, 16, 13.5, 12, 11, 11] },
  code: { size: 8.5, background: "#f3f4f6", padding: 6 },
  inlineCode: { scale: 0.92, background: "#eef0f3" },
  table: {
    size: 9,
    padding: { x: 5, y: 3 },
    headerBackground: "#e5e9f0",
    stripeBackground: "#f8fafc",
    border: "#cbd2dc",
    maxShareOfWidth: 0.6,
  },
  list: { indent: 16 },
  quote: { indent: 14, bar: "#cbd2dc" },
  footer: { size: 8.5, offset: 28 },
  gap: { paragraph: 6, block: 9, headingBefore: 12, headingAfter: 5 },
} as const;

export interface InlineStyle {
  bold?: boolean;
  italic?: boolean;
  code?: boolean;
  strike?: boolean;
  underline?: boolean;
  /** http(s) or mailto target; other schemes are drawn as plain text. */
  link?: string;
  color?: string;
}

/** The standard PDF font that draws a style; no font files are needed. */
export function fontFor(style: InlineStyle): string {
  if (style.code) return style.bold ? "Courier-Bold" : "Courier";
  if (style.bold && style.italic) return "Helvetica-BoldOblique";
  if (style.bold) return "Helvetica-Bold";
  if (style.italic) return "Helvetica-Oblique";
  return "Helvetica";
}
