// Runs samples interleaved across the daemons (wharf, docker, wharf, docker …) so drift on a
// noisy machine hits both alike, and turns any failure into an n/a for that daemon only.
import type { Target } from "../targets/target.ts";
import { type MetricRow, type Results, reasonOf } from "./results.ts";

export interface BenchContext {
  readonly quick: boolean;
  readonly targets: readonly Target[];
  readonly results: Results;
  /** this run's temp directory (removed at the end) */
  readonly tmp: string;
  log(msg: string): void;
  /** true once SIGINT/SIGTERM arrived: stop starting new work */
  aborted(): boolean;
}

export interface MetricGroup {
  /** the name `--only` selects */
  readonly name: string;
  run(ctx: BenchContext): Promise<void>;
}

export type Recorder = (row: MetricRow, value: number) => void;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** Targets still to be measured for these rows: up, and not already n/a for all of them. */
export function activeTargets(ctx: BenchContext, rows: readonly MetricRow[]): Target[] {
  return ctx.targets.filter((t) => !t.unavailable && rows.some((r) => r.na[t.name] === undefined));
}

function markNa(rows: readonly MetricRow[], t: Target, reason: string): void {
  for (const r of rows) r.na[t.name] ??= reason;
}

/** The reason to show for a failure: the daemon's death, when that is what happened. */
function failure(t: Target, err: unknown): string {
  const dead = t.died();
  if (dead) t.unavailable = dead;
  return dead ?? reasonOf(err);
}

/**
 * Per-daemon set-up for a group of rows (an image to load, a server to start); a failure makes
 * those rows n/a for that daemon. Returns the daemons that are ready.
 */
export async function prepare(
  ctx: BenchContext,
  rows: readonly MetricRow[],
  fn: (t: Target) => Promise<void>,
  timeoutMs = 300_000,
): Promise<Target[]> {
  const ready: Target[] = [];
  for (const t of activeTargets(ctx, rows)) {
    if (ctx.aborted()) break;
    try {
      await withTimeout(fn(t), timeoutMs, `${t.name} set-up`);
      ready.push(t);
    } catch (err) {
      const reason = `set-up: ${failure(t, err)}`;
      markNa(rows, t, reason);
      ctx.log(`  ${t.name}: n/a (${reason})`);
    }
  }
  return ready;
}

export interface InterleaveOptions {
  /** samples run first and thrown away (cold caches, first connections) */
  warmup?: number;
  /** limit for one sample */
  timeoutMs?: number;
}

/**
 * `reps` samples per daemon, alternating daemons. A sample records values for one or more rows;
 * when it throws, the rows it did not record become n/a for that daemon, which then stops.
 */
export async function interleave(
  ctx: BenchContext,
  rows: readonly MetricRow[],
  reps: number,
  sample: (t: Target, i: number, record: Recorder) => Promise<void>,
  opts: InterleaveOptions = {},
): Promise<void> {
  const warmup = opts.warmup ?? 0;
  const failed = new Set<string>();
  for (let i = -warmup; i < reps; i++) {
    for (const t of activeTargets(ctx, rows)) {
      if (ctx.aborted() || failed.has(t.name)) continue;
      const recorded = new Set<MetricRow>();
      const record: Recorder = (row, value) => {
        recorded.add(row);
        if (i >= 0) row.samples[t.name].push(value);
      };
      try {
        await withTimeout(sample(t, i, record), opts.timeoutMs ?? 300_000, `${t.name} sample`);
      } catch (err) {
        failed.add(t.name);
        const reason = failure(t, err);
        markNa(
          rows.filter((r) => !recorded.has(r)),
          t,
          reason,
        );
        ctx.log(`  ${t.name}: n/a (${reason})`);
      }
    }
  }
}

/** Milliseconds taken by `fn`. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}
