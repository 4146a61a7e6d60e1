// Docker's JSON-lines progress messages for pull and push (pkg/jsonmessage): status lines,
// per-layer progress with a pre-rendered bar, errors, aux. Per-layer byte updates are
// throttled so a fast local pull does not flood the client.

export interface ProgressMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  aux?: Record<string, unknown>;
  error?: string;
  errorDetail?: { message: string };
}

export type ProgressSink = (message: ProgressMessage) => void;

/** units.HumanSize: 4 significant digits, decimal units ("36.45kB", "3.001MB"). */
export function humanSize(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB", "PB"];
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < units.length - 1) {
    size /= 1000;
    i++;
  }
  return `${Number(size.toPrecision(4))}${units[i]}`;
}

/** JSONProgress.String() as the daemon renders it (no terminal: 200 columns, so with a bar). */
export function progressBar(current: number, total: number): string {
  if (current <= 0 && total <= 0) return "";
  if (total <= 0) return humanSize(current).padStart(8);
  const percentage = Math.min(50, Math.floor(Math.floor((current / total) * 100) / 2));
  const bar = `[${"=".repeat(percentage)}>${" ".repeat(Math.max(0, 50 - percentage))}] `;
  const numbers =
    current > total
      ? humanSize(current).padStart(8)
      : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return bar + numbers;
}

/** The short ID Docker shows for a layer: 12 hex digits of a digest. */
export function shortId(digest: string): string {
  return digest.slice(digest.indexOf(":") + 1, digest.indexOf(":") + 13);
}

export class LayerProgress {
  private readonly sink: ProgressSink;
  private readonly id: string;
  private last = 0;

  constructor(sink: ProgressSink, id: string) {
    this.sink = sink;
    this.id = id;
  }

  status(status: string): void {
    this.sink({ status, progressDetail: {}, id: this.id });
  }

  /** A byte-count update; sent at most every 100 ms, and always for the last byte. */
  bytes(status: string, current: number, total: number): void {
    const now = Date.now();
    if (current < total && now - this.last < 100) return;
    this.last = now;
    this.sink({
      status,
      progressDetail: { current, total },
      progress: progressBar(current, total),
      id: this.id,
    });
  }
}

/** The stream's error object: {"errorDetail":{"message":…},"error":…}. */
export function errorMessage(message: string): ProgressMessage {
  return { errorDetail: { message }, error: message };
}
