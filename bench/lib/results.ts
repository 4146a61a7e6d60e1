// The figures of one run: one row per metric, raw samples and n/a reasons per daemon.

export type TargetName = "wharf" | "docker";
export const TARGET_NAMES: readonly TargetName[] = ["wharf", "docker"];

export type Unit = "ms" | "s" | "MiB" | "req/s" | "MiB/s" | "MB/s";

export interface MetricRow {
  key: string;
  group: string;
  label: string;
  unit: Unit;
  /** which direction is better, so a reader knows whether a ratio below 1 is good */
  better: "lower" | "higher";
  samples: Record<TargetName, number[]>;
  /** why a daemon has no figure (feature missing, failure, daemon absent) */
  na: Partial<Record<TargetName, string>>;
}

export class Results {
  readonly rows: MetricRow[] = [];

  row(
    group: string,
    key: string,
    label: string,
    unit: Unit,
    better: "lower" | "higher" = "lower",
  ): MetricRow {
    const existing = this.rows.find((r) => r.key === key);
    if (existing) return existing;
    const row: MetricRow = { key, group, label, unit, better, samples: { wharf: [], docker: [] }, na: {} };
    this.rows.push(row);
    return row;
  }
}

/** One line, short enough for a table cell. */
export function reasonOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = text.split("\n").find((l) => l.trim()) ?? "failed";
  return line.length > 140 ? `${line.slice(0, 137)}...` : line;
}
