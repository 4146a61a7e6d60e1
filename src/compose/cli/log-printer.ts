// Container output as `docker compose up`/`logs` print it: "name  | line", names padded to the
// longest, each service in its own colour when the output is a terminal.
import type { Writable } from "node:stream";
import { Demuxer } from "../../client/mux.ts";

const colours = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

export class LogPrinter {
  private readonly out: Writable;
  private readonly width: number;
  private readonly colour: boolean;
  private readonly prefix: boolean;
  private readonly assigned = new Map<string, number>();

  constructor(
    out: Writable & { isTTY?: boolean },
    names: readonly string[],
    opts: { colour?: boolean; prefix?: boolean } = {},
  ) {
    this.out = out;
    this.width = Math.max(0, ...names.map((n) => n.length));
    this.colour = opts.colour ?? out.isTTY === true;
    this.prefix = opts.prefix ?? true;
  }

  private label(name: string): string {
    const padded = `${name.padEnd(this.width)}  | `;
    if (!this.colour) return padded;
    let c = this.assigned.get(name);
    if (c === undefined) {
      c = colours[this.assigned.size % colours.length] as number;
      this.assigned.set(name, c);
    }
    return `\u001b[${c}m${padded}\u001b[0m`;
  }

  line(name: string, text: string): void {
    this.out.write(this.prefix ? `${this.label(name)}${text}\n` : `${text}\n`);
  }

  /** A line-splitting sink for one container's output (raw or multiplexed). */
  sink(name: string, tty: boolean): { push(chunk: Buffer): void; end(): void } {
    let partial = "";
    const text = (s: string) => {
      partial += s;
      const lines = partial.split(/\r?\n/);
      partial = lines.pop() ?? "";
      for (const l of lines) this.line(name, l);
    };
    const demux = tty ? undefined : new Demuxer((_kind, payload) => text(payload.toString("utf8")));
    return {
      push: (chunk) => (demux ? demux.push(chunk) : text(chunk.toString("utf8"))),
      end: () => {
        if (partial !== "") this.line(name, partial);
        partial = "";
      },
    };
  }
}
