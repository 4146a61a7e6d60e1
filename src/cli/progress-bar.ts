// jsonmessage.JSONProgress.String() as the docker CLI renders it on a terminal: a 50-cell bar
// when the terminal is wider than 110 columns, current/total in go-units sizes, and the time
// left when a start time is known and the terminal is wider than 50 columns. wharf pull/push
// also ask for the transfer speed (average since the start), shown before the time left.
import { humanSize4 } from "./units.ts";

export interface ProgressDetail {
  current?: number;
  total?: number;
  /** Unix seconds the transfer started (docker's JSONProgress.Start). */
  start?: number;
  units?: string;
  hidecounts?: boolean;
}

/** time.Duration.String() for whole seconds: "0s", "45s", "2m0s", "1h0m5s". */
export function goSeconds(total: number): string {
  if (total <= 0) return "0s";
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

export interface RenderProgressOptions {
  /** Show the average speed since `start` ("12.5MB/s"), as wharf pull/push do. */
  speed?: boolean;
}

/** The progress text after the status; nowMs is the wall clock in milliseconds. */
export function renderProgress(
  p: ProgressDetail,
  width: number,
  nowMs: number,
  opts: RenderProgressOptions = {},
): string {
  const current = p.current ?? 0;
  const total = p.total ?? 0;
  if (current <= 0 && total <= 0) return "";
  if (total <= 0) return p.units ? `${current} ${p.units}` : humanSize4(current).padStart(8);
  const percentage = Math.min(50, Math.trunc(Math.trunc((current / total) * 100) / 2));
  let bar = "";
  if (width > 110) bar = `[${"=".repeat(percentage)}>${" ".repeat(Math.max(0, 50 - percentage))}] `;
  let numbers = "";
  if (p.hidecounts) numbers = "";
  else if (!p.units) {
    numbers =
      current > total
        ? humanSize4(current).padStart(8)
        : `${humanSize4(current).padStart(8)}/${humanSize4(total)}`;
  } else numbers = current > total ? `${current} ${p.units}` : `${current}/${total} ${p.units}`;
  let left = "";
  const elapsedMs = p.start && p.start > 0 ? nowMs - p.start * 1000 : 0;
  if (opts.speed && !p.units && current > 0 && elapsedMs > 0 && percentage < 50 && width > 50) {
    left += ` ${humanSize4((current * 1000) / elapsedMs)}/s`;
  }
  if (current > 0 && p.start && p.start > 0 && percentage < 50 && width > 50) {
    // Go: perEntry = elapsed / current (integer nanoseconds), left = remaining × perEntry.
    const elapsedNs = BigInt(Math.max(0, Math.round((nowMs - p.start * 1000) * 1e6)));
    const perEntry = elapsedNs / BigInt(Math.trunc(current));
    const leftNs = BigInt(Math.trunc(total - current)) * perEntry;
    left += ` ${goSeconds(Number(leftNs / 1_000_000_000n))}`;
  }
  return bar + numbers + left;
}
