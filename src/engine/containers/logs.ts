// Reading conmon's k8s-file logs: one line per write, `<RFC3339Nano> <stdout|stderr> <F|P> <text>`
// (P = a partial line continued by the next entry). Follow mode tails the file until the
// container has exited and everything it wrote has been read.
import { watch } from "node:fs";
import { type FileHandle, open, stat } from "node:fs/promises";

export interface LogEntry {
  /** RFC3339Nano in UTC, as Docker prints it (…Z). */
  time: string;
  timeNs: bigint;
  stream: "stdout" | "stderr";
  /** The bytes written, with the newline restored for full lines. */
  data: Buffer;
}

export interface LogOptions {
  stdout: boolean;
  stderr: boolean;
  /** Number of final lines to return; undefined = all. */
  tail?: number;
  sinceNs?: bigint;
  untilNs?: bigint;
  follow: boolean;
  /** Start reading at this byte offset (attach: only what is written from now on). */
  fromOffset?: number;
}

function parseTime(ts: string): { iso: string; ns: bigint } {
  // 2026-11-23T08:11:37.027543527+00:00 → nanoseconds since the epoch.
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) return { iso: ts, ns: 0n };
  const base = BigInt(Date.parse(`${m[1]}${m[3] === "Z" ? "Z" : m[3]}`)) * 1_000_000n;
  const frac = (m[2] ?? "").padEnd(9, "0").slice(0, 9);
  const ns = base + BigInt(frac);
  const seconds = new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19);
  return { iso: `${seconds}.${frac}Z`, ns };
}

export function parseLogLine(line: string): LogEntry | undefined {
  const a = line.indexOf(" ");
  const b = line.indexOf(" ", a + 1);
  const c = line.indexOf(" ", b + 1);
  if (a < 0 || b < 0) return undefined;
  const stream = line.slice(a + 1, b);
  if (stream !== "stdout" && stream !== "stderr") return undefined;
  const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
  const text = c < 0 ? "" : line.slice(c + 1);
  const { iso, ns } = parseTime(line.slice(0, a));
  const partial = tag.split(":").includes("P");
  return { time: iso, timeNs: ns, stream, data: Buffer.from(partial ? text : `${text}\n`) };
}

function wanted(e: LogEntry, o: LogOptions): boolean {
  if (e.stream === "stdout" ? !o.stdout : !o.stderr) return false;
  if (o.sinceNs !== undefined && e.timeNs < o.sinceNs) return false;
  if (o.untilNs !== undefined && e.timeNs > o.untilNs) return false;
  return true;
}

export async function logSize(path: string): Promise<number> {
  return stat(path).then(
    (s) => s.size,
    () => 0,
  );
}

/** Subscribes `wake` to the writer's end (a container's exit); returns the unsubscribe. */
export type OnWriterEnd = (wake: () => void) => () => void;

/** A safety net only: file changes (fs.watch) and the writer's end wake the follower at once. */
const FOLLOW_FALLBACK_MS = 1000;

/**
 * Yields log entries. In follow mode it keeps going until `stopped()` is true and the file has
 * been read to its end, or until `signal` aborts (the client went away, or the run ended: then
 * after one last read to the end). `onWriterEnd` wakes it as soon as the container exits, so
 * it ends without waiting for a poll.
 */
export async function* readLogs(
  path: string,
  opts: LogOptions,
  stopped: () => boolean,
  signal: AbortSignal,
  onWriterEnd?: OnWriterEnd,
): AsyncGenerator<LogEntry> {
  let offset = opts.fromOffset ?? 0;
  let pending = "";
  let backlog: LogEntry[] | undefined = opts.tail !== undefined ? [] : undefined;
  // `woken`: something happened since the top of this pass, so look again before sleeping.
  let woken = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    woken = true;
    wake?.();
  };
  // The file stays open while we read: a container removed right after it exits (--rm) must
  // not take its last output away from an attached client.
  let fh: FileHandle | undefined;
  const watcher = opts.follow
    ? (() => {
        try {
          return watch(path, notify);
        } catch {
          return undefined;
        }
      })()
    : undefined;
  const unsubscribe = opts.follow ? onWriterEnd?.(notify) : undefined;
  signal.addEventListener("abort", notify);
  try {
    for (;;) {
      woken = false;
      // Both read before the file: whatever was written before they turned is read below.
      const finished = stopped();
      const aborted = signal.aborted;
      if (!fh) fh = await open(path, "r").catch(() => undefined);
      const size = fh ? (await fh.stat()).size : 0;
      if (size < offset) offset = 0; // the log was truncated by conmon's size limit
      if (fh && size > offset) {
        const buf = Buffer.alloc(size - offset);
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        offset += bytesRead;
        const lines = (pending + buf.subarray(0, bytesRead).toString("utf8")).split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) {
          const entry = parseLogLine(line);
          if (!entry || !wanted(entry, opts)) continue;
          if (backlog) backlog.push(entry);
          else yield entry;
        }
      }
      if (backlog) {
        // The first pass (to the end of the file) ends here: emit only the last `tail` lines.
        const lines = backlog;
        backlog = undefined;
        const from = Math.max(0, lines.length - (opts.tail ?? 0));
        for (const entry of opts.tail === 0 ? [] : lines.slice(from)) yield entry;
      }
      if (!opts.follow || aborted) return;
      if (finished && size <= offset) return;
      if (woken || signal.aborted) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, FOLLOW_FALLBACK_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    signal.removeEventListener("abort", notify);
    unsubscribe?.();
    watcher?.close();
    await fh?.close();
  }
}
