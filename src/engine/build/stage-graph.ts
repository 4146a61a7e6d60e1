// Which stages of a multi-stage build depend on which (FROM <stage>, COPY --from, RUN
// --mount=…,from=), what a --target needs, and the output order when independent stages run at
// the same time. Docker's classic builder runs stages one after the other; wharf runs the ones
// that do not depend on each other concurrently but prints the stream as the sequential build
// would: a stage's lines appear live while every earlier stage is done, and are held back (and
// then printed in one piece) otherwise. So each step's lines stay together, in file order.
import type { Stage } from "./dockerfile.ts";
import { parseRunMount } from "./run-mounts.ts";

/** The earlier stages `stage` refers to, as indexes. `base` is its FROM expanded with the meta ARGs. */
export function stageDependencies(stages: readonly Stage[], stage: Stage, base: string): Set<number> {
  const earlier = stages.slice(0, stage.index);
  const deps = new Set<number>();
  const refer = (ref: string) => {
    // A reference built from variables is only known while the stage runs: wait for them all.
    if (ref.includes("$")) for (const s of earlier) deps.add(s.index);
    const name = ref.toLowerCase();
    const hit = earlier.find((s) => s.name === name || String(s.index) === name);
    if (hit) deps.add(hit.index);
  };
  refer(base);
  for (const ins of stage.steps) {
    const from = ins.flags.get("from");
    if (from && (ins.keyword === "COPY" || ins.keyword === "ADD")) refer(from);
    for (const spec of ins.mounts ?? []) {
      if (spec.includes("$")) {
        refer("$");
        continue;
      }
      const m = parseRunMount(spec);
      if ("from" in m && m.from !== undefined) refer(m.from);
    }
  }
  return deps;
}

/** The stages to build: everything without a target (as Docker's classic builder), else what the target needs. */
export function neededStages(
  stages: readonly Stage[],
  deps: ReadonlyMap<number, Set<number>>,
  target: number | undefined,
): Stage[] {
  if (target === undefined) return [...stages];
  const need = new Set<number>();
  const visit = (i: number) => {
    if (need.has(i)) return;
    need.add(i);
    for (const d of deps.get(i) ?? []) visit(d);
  };
  visit(target);
  return stages.filter((s) => need.has(s.index));
}

/** Lines of concurrently running stages, released in stage order. */
export class OrderedOutput {
  private readonly write: (text: string) => void;
  private readonly held: string[][];
  private readonly finished: boolean[];
  private active = 0;

  /** `count` stages, numbered 0…count-1 in the order their lines must appear. */
  constructor(count: number, write: (text: string) => void) {
    this.write = write;
    this.held = Array.from({ length: count }, () => []);
    this.finished = Array.from({ length: count }, () => false);
  }

  say(slot: number, text: string): void {
    if (slot === this.active) this.write(text);
    else this.held[slot]?.push(text);
  }

  /** The stage in `slot` printed its last line. */
  finish(slot: number): void {
    this.finished[slot] = true;
    while (this.active < this.finished.length && this.finished[this.active]) {
      this.active++;
      this.release(this.active);
    }
  }

  /** After a failure: everything held, in order. */
  flushAll(): void {
    for (let i = this.active; i < this.held.length; i++) this.release(i);
    this.active = this.held.length;
  }

  private release(slot: number): void {
    const lines = this.held[slot];
    if (!lines) return;
    for (const text of lines.splice(0)) this.write(text);
  }
}
