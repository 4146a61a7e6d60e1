// Progress lines as docker compose prints them without a TTY (" Container x  Started"), on
// stderr. One writer per command so parallel steps keep whole lines.
import type { Writable } from "node:stream";

export class Progress {
  private readonly out: Writable;

  constructor(out: Writable) {
    this.out = out;
  }

  event(kind: "Container" | "Network" | "Volume" | "Image" | "Service", name: string, status: string): void {
    this.out.write(` ${kind} ${name}  ${status}\n`);
  }

  warn(message: string): void {
    this.out.write(`WARN[0000] ${message}\n`);
  }
}
