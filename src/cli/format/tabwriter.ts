// Go's text/tabwriter as docker's CLI forks it (cell widths by display width, not runes):
// tab-terminated cells of consecutive lines form columns padded to a common width; the last
// cell of a line belongs to no column; a line without tabs ends the block (as a flush does).

import { stringWidth } from "./width.ts";

interface Cell {
  /** Length of the cell's text in the buffer (UTF-16 units). */
  size: number;
  /** Display width of the text. */
  width: number;
  /** Terminated by a tab (rather than a line end). */
  htab: boolean;
}

export interface TabWriterOptions {
  minwidth: number;
  tabwidth: number;
  padding: number;
  padchar: string;
}

/** tabwriter.NewWriter(out, 10, 1, 3, ' ', 0), as docker's formatter uses it. */
export const DOCKER_TABWRITER: TabWriterOptions = { minwidth: 10, tabwidth: 1, padding: 3, padchar: " " };

export class TabWriter {
  private out = "";
  private buf = "";
  private cell: Cell = { size: 0, width: 0, htab: false };
  private lines: Cell[][] = [[]];
  private widths: number[] = [];
  private readonly opts: TabWriterOptions;

  constructor(opts: TabWriterOptions = DOCKER_TABWRITER) {
    this.opts = opts;
  }

  write(text: string): void {
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch !== "\t" && ch !== "\v" && ch !== "\n" && ch !== "\f") continue;
      this.append(text.slice(n, i));
      n = i + 1;
      const ncells = this.terminateCell(ch === "\t");
      if (ch === "\n" || ch === "\f") {
        this.lines.push([]);
        // A line of one cell cannot affect the columns below it: format what we have.
        if (ch === "\f" || ncells === 1) this.flushLines();
      }
    }
    this.append(text.slice(n));
  }

  /** Format everything buffered and return all output so far. */
  flush(): string {
    this.flushLines();
    const out = this.out;
    this.out = "";
    return out;
  }

  private append(text: string): void {
    this.buf += text;
    this.cell.size += text.length;
    this.cell.width += stringWidth(text);
  }

  private terminateCell(htab: boolean): number {
    this.cell.htab = htab;
    const line = this.lines[this.lines.length - 1]!;
    line.push(this.cell);
    this.cell = { size: 0, width: 0, htab: false };
    return line.length;
  }

  private flushLines(): void {
    if (this.cell.size > 0) this.terminateCell(false);
    this.format(0, 0, this.lines.length);
    this.buf = "";
    this.cell = { size: 0, width: 0, htab: false };
    this.lines = [[]];
    this.widths = [];
  }

  private writePadding(textw: number, cellw: number): void {
    const { padchar, tabwidth } = this.opts;
    if (padchar === "\t") {
      if (tabwidth === 0) return;
      const w = Math.ceil(cellw / tabwidth) * tabwidth;
      this.out += "\t".repeat(Math.ceil((w - textw) / tabwidth));
      return;
    }
    this.out += padchar.repeat(Math.max(cellw - textw, 0));
  }

  private writeLines(pos0: number, line0: number, line1: number): number {
    let pos = pos0;
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i]!;
      line.forEach((c, j) => {
        if (c.size > 0) {
          this.out += this.buf.slice(pos, pos + c.size);
          pos += c.size;
        }
        if (j < this.widths.length) this.writePadding(c.width, this.widths[j]!);
      });
      if (i + 1 === this.lines.length) {
        // The last buffered line has no newline yet: write its pending text as is.
        this.out += this.buf.slice(pos, pos + this.cell.size);
        pos += this.cell.size;
      } else {
        this.out += "\n";
      }
    }
    return pos;
  }

  /** Go's recursive column formatting of lines [line0, line1). */
  private format(pos0: number, line0: number, line1: number): number {
    let pos = pos0;
    const column = this.widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= this.lines[t]!.length - 1) continue;
      // This line has a cell in this column: print the lines above, then size the column block.
      pos = this.writeLines(pos, line0, t);
      line0 = t;
      let width = this.opts.minwidth;
      for (; t < line1; t++) {
        const line = this.lines[t]!;
        if (column >= line.length - 1) break;
        width = Math.max(width, line[column]!.width + this.opts.padding);
      }
      this.widths.push(width);
      pos = this.format(pos, line0, t);
      this.widths.pop();
      line0 = t;
    }
    return this.writeLines(pos, line0, line1);
  }
}

/** Run text through docker's tabwriter. */
export function tabwrite(text: string, opts: TabWriterOptions = DOCKER_TABWRITER): string {
  const w = new TabWriter(opts);
  w.write(text);
  return w.flush();
}
