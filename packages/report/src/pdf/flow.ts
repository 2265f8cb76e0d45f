/** The write position on the page, page breaks, and cached text measurement for the PDF layout. */

import { theme } from "./theme.ts";
import type { TextSanitizer } from "./win-ansi.ts";

export interface Frame {
  /** Left edge of the column the current block is drawn in. */
  left: number;
  width: number;
  /** List nesting depth, for the bullet shape. */
  listDepth: number;
  color: string;
}

interface Bar {
  x: number;
  from: number;
}

export class Flow {
  readonly top: number = theme.margin.top;
  readonly bottom = theme.page.height - theme.margin.bottom;
  y: number = this.top;
  private readonly widths = new Map<string, number>();
  private readonly bars = new Set<Bar>();

  constructor(
    readonly doc: PDFKit.PDFDocument,
    readonly text: TextSanitizer,
  ) {}

  /** True while nothing has been drawn on the current page. */
  get atTop(): boolean {
    return this.y <= this.top + 0.01;
  }

  get room(): number {
    return this.bottom - this.y;
  }

  newPage(): void {
    for (const bar of this.bars) this.drawBar(bar, this.y);
    this.doc.addPage();
    this.y = this.top;
    for (const bar of this.bars) bar.from = this.top;
  }

  /** Starts a new page unless `height` still fits here or the page is still empty. */
  ensure(height: number): void {
    if (this.y + height > this.bottom && !this.atTop) this.newPage();
  }

  /** Vertical space between blocks; never at the top of a page. */
  gap(height: number): void {
    if (!this.atTop) this.y = Math.min(this.y + height, this.bottom);
  }

  /** A vertical bar at `x` beside everything drawn until `closeBar`, across page breaks. */
  openBar(x: number): Bar {
    const bar = { x, from: this.y };
    this.bars.add(bar);
    return bar;
  }

  closeBar(bar: Bar): void {
    this.drawBar(bar, this.y);
    this.bars.delete(bar);
  }

  width(text: string, font: string, size: number): number {
    if (text.length > 40) return this.doc.font(font, size).widthOfString(text);

    const key = `${font}\u0000${size}\u0000${text}`;
    let width = this.widths.get(key);
    if (width === undefined) {
      width = this.doc.font(font, size).widthOfString(text);
      // Bounded so a huge report of unique words cannot grow the cache without limit.
      if (this.widths.size > 100_000) this.widths.clear();
      this.widths.set(key, width);
    }
    return width;
  }

  private drawBar(bar: Bar, to: number): void {
    if (to <= bar.from) return;
    this.doc
      .save()
      .lineWidth(2)
      .strokeColor(theme.quote.bar)
      .moveTo(bar.x, bar.from)
      .lineTo(bar.x, to)
      .stroke()
      .restore();
  }
}
