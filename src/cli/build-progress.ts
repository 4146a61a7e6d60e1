// `wharf build` on a terminal: the classic build stream ("Step N/M : …", " ---> Using cache",
// RUN output) shown as a live table in the manner of BuildKit's tty display: every step with
// its time (CACHED when it was a cache hit), the total elapsed time, and the last lines of the
// running step's output. Off a terminal (or with --progress=plain) the stream is printed as is.
import type { JsonMessage } from "../client/types.ts";
import { JsonMessageError } from "./jsonmessage.ts";

interface StepView {
  /** "Step 3/12 : RUN make" */
  title: string;
  started: number;
  ended?: number;
  cached: boolean;
  /** Complete output lines of the step (RUN output, trigger notes). */
  output: string[];
}

/** How many output lines of the running step are shown. */
const tailLines = 6;

export class BuildProgress {
  private readonly started: number;
  private readonly steps: StepView[] = [];
  /** Lines shown after the table once the build is over (Successfully …, warnings). */
  private readonly trailer: string[] = [];
  private partial = "";
  private ended: number | undefined;
  private failed = false;
  private total = 0;

  constructor(now: number) {
    this.started = now;
  }

  /** Takes one message of the build stream (aux and errors are the caller's business). */
  feed(jm: JsonMessage, now: number): void {
    if (jm.stream === undefined) return;
    const text = this.partial + jm.stream;
    const lines = text.split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) this.line(line.replace(/\r$/, ""), now);
  }

  private line(line: string, now: number): void {
    const step = /^Step (\d+)\/(\d+) : (.*)$/.exec(line);
    const current = this.steps.at(-1);
    if (step) {
      if (current && current.ended === undefined) current.ended = now;
      this.total = Number(step[2]);
      this.steps.push({ title: line, started: now, cached: false, output: [] });
      return;
    }
    if (line === " ---> Using cache") {
      if (current) current.cached = true;
      return;
    }
    if (
      /^ ---> (Running in \w+|[0-9a-f]*)$/.test(line) ||
      line.startsWith("Removing intermediate container ")
    ) {
      if (current && /^ ---> [0-9a-f]+$/.test(line)) current.ended = now;
      return;
    }
    if (line.startsWith("Successfully built ") || line.startsWith("Successfully tagged ")) {
      this.trailer.push(line);
      return;
    }
    if (line.startsWith("[Warning]") || !current || current.ended !== undefined) this.trailer.push(line);
    else current.output.push(line);
  }

  /** The build is over (failed: the last step's output tail stays in view). */
  finish(now: number, failed: boolean): void {
    if (this.partial) this.line(this.partial, now);
    this.partial = "";
    const current = this.steps.at(-1);
    if (current && current.ended === undefined) current.ended = now;
    this.ended = now;
    this.failed = failed;
  }

  /** The table as lines no wider than `width` (no trailing newline on each). */
  render(now: number, width: number): string[] {
    const end = this.ended ?? now;
    const done = this.steps.filter((s) => s.ended !== undefined).length;
    const head = `[+] Building ${seconds(end - this.started)} (${done}/${this.total || this.steps.length})${
      this.ended === undefined ? "" : this.failed ? " FAILED" : " FINISHED"
    }`;
    const out = [fit(head, width)];
    for (const [i, s] of this.steps.entries()) {
      const time = s.cached ? "0.0s" : seconds((s.ended ?? end) - s.started);
      const label = ` => ${s.cached ? "CACHED " : ""}${s.title}`;
      out.push(columns(label, time, width));
      const last = i === this.steps.length - 1;
      const showTail = last && (this.ended === undefined || this.failed);
      if (showTail) for (const l of s.output.slice(-tailLines)) out.push(fit(` => > ${l}`, width));
    }
    return out;
  }

  /** What is printed under the final table. */
  trailerLines(): string[] {
    return [...this.trailer];
  }
}

function seconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
}

/** Cuts `text` to `width` columns (tabs and control characters shown as spaces). */
function fit(text: string, width: number): string {
  const clean = text.replace(/[\x00-\x1f\x7f]/g, " ");
  return clean.length > width ? clean.slice(0, Math.max(0, width)) : clean;
}

/** `label` left, `right` right-aligned, within `width`. */
function columns(label: string, right: string, width: number): string {
  const room = width - right.length - 1;
  if (room < 10) return fit(label, width);
  const left = fit(label, room);
  return `${left}${" ".repeat(room - left.length + 1)}${right}`;
}

/** Redraws a block of lines in place on a terminal. */
export class TerminalBlock {
  private drawn = 0;

  /** The escape codes and text that replace the previous block by `lines`. */
  frame(lines: string[]): string {
    const up = this.drawn > 0 ? `\x1b[${this.drawn}A\r` : "";
    this.drawn = lines.length;
    return `${up}\x1b[J${lines.map((l) => `${l}\n`).join("")}`;
  }
}

/** Redraws every this many milliseconds (the elapsed times tick between messages too). */
const redrawMs = 100;

/**
 * Shows a build stream on a terminal as the live table; aux messages go to onAux. Throws the
 * stream's error once the final table is drawn.
 */
export async function displayBuildProgress(
  messages: AsyncIterable<JsonMessage>,
  out: NodeJS.WritableStream & { columns?: number },
  onAux: (aux: Record<string, unknown>) => void,
): Promise<void> {
  const progress = new BuildProgress(Date.now());
  const block = new TerminalBlock();
  // A terminal that reports no size (0 columns) is taken as 80 wide.
  const width = () => Math.max(20, (out.columns || 80) - 1);
  const draw = () => out.write(block.frame(progress.render(Date.now(), width())));
  const timer = setInterval(draw, redrawMs);
  let failure: JsonMessageError | undefined;
  try {
    for await (const jm of messages) {
      if (jm.aux) onAux(jm.aux);
      else if (jm.errorDetail || jm.error) {
        failure = new JsonMessageError(jm.errorDetail?.message ?? jm.error ?? "", jm.errorDetail?.code);
        break;
      } else progress.feed(jm, Date.now());
    }
  } finally {
    clearInterval(timer);
    progress.finish(Date.now(), failure !== undefined);
    const trailer = progress.trailerLines().map((l) => `${l}\n`);
    out.write(block.frame(progress.render(Date.now(), width())) + trailer.join(""));
  }
  if (failure) throw failure;
}
