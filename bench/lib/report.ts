// The run's outputs: a markdown table (figures, ratio wharf/docker, n/a reasons as footnotes)
// and the JSON document with every raw sample.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Machine } from "./machine.ts";
import { type MetricRow, TARGET_NAMES, type TargetName } from "./results.ts";
import { ratio, summarize } from "./stats.ts";

export interface RunInfo {
  date: string;
  quick: boolean;
  durationSec: number;
  machine: Machine;
  versions: Partial<Record<TargetName, Record<string, string>>>;
  /** daemons without any figure, and why */
  unavailable: Partial<Record<TargetName, string>>;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

/** Two decimals, except for ratios so small that two decimals would read as zero. */
function ratioText(q: number): string {
  const a = Math.abs(q);
  return `${a >= 10 ? q.toFixed(1) : a >= 0.1 ? q.toFixed(2) : q.toPrecision(2)}×`;
}

function pad(cells: string[], widths: number[]): string {
  return `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
}

export function renderTable(rows: readonly MetricRow[]): string {
  const notes: string[] = [];
  const note = (reason: string): string => {
    let i = notes.indexOf(reason);
    if (i < 0) i = notes.push(reason) - 1;
    return `[${i + 1}]`;
  };
  const header = ["metric", "unit", "wharf min / median / max", "docker min / median / max", "wharf/docker"];
  const body = rows.map((r) => {
    const cells = TARGET_NAMES.map((t) => {
      const s = summarize(r.samples[t]);
      if (!s) return `n/a ${note(r.na[t] ?? "no sample")}`;
      const partial = r.na[t] ? ` ${note(`partial: ${r.na[t]}`)}` : "";
      return `${fmt(s.min)} / ${fmt(s.median)} / ${fmt(s.max)}${partial}`;
    });
    const q = ratio(summarize(r.samples.wharf), summarize(r.samples.docker));
    return [
      r.label,
      `${r.unit} ${r.better === "lower" ? "↓" : "↑"}`,
      ...cells,
      q === undefined ? "n/a" : ratioText(q),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const lines = [pad(header, widths), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`];
  for (const b of body) lines.push(pad(b, widths));
  lines.push("");
  lines.push("↓ lower is better, ↑ higher is better; wharf/docker is the ratio of medians.");
  for (const [i, n] of notes.entries()) lines.push(`[${i + 1}] ${n}`);
  return lines.join("\n");
}

export function renderHeader(info: RunInfo): string {
  const m = info.machine;
  const lines = [
    `date: ${info.date}${info.quick ? " (--quick)" : ""}, run took ${Math.round(info.durationSec)} s`,
    `machine: ${m.nproc} cores (${m.cpu}), ${(m.memTotalMiB / 1024).toFixed(1)} GiB, ${m.os}, kernel ${m.kernel}`,
  ];
  for (const t of TARGET_NAMES) {
    const v = info.versions[t];
    if (v)
      lines.push(
        `${t}: ${Object.entries(v)
          .map(([k, x]) => (k === "daemon" ? x : `${k} ${x}`))
          .join(", ")}`,
      );
  }
  return lines.join("\n");
}

export function writeJson(path: string, info: RunInfo, rows: readonly MetricRow[]): void {
  const metrics = rows.map((r) => {
    const per = Object.fromEntries(
      TARGET_NAMES.map((t) => [t, { samples: r.samples[t], ...summarize(r.samples[t]), na: r.na[t] }]),
    );
    return {
      key: r.key,
      group: r.group,
      label: r.label,
      unit: r.unit,
      better: r.better,
      ...per,
      ratio: ratio(summarize(r.samples.wharf), summarize(r.samples.docker)) ?? null,
    };
  });
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify({ ...info, metrics }, null, 2)}\n`);
}
