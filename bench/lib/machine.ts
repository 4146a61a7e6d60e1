// The machine a run happened on, for the report: cores, memory, kernel, CPU, OS.
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, release } from "node:os";
import { memTotalKiB } from "./proc.ts";

export interface Machine {
  nproc: number;
  memTotalMiB: number;
  kernel: string;
  cpu: string;
  os: string;
}

function osName(): string {
  try {
    const m = readFileSync("/etc/os-release", "utf8").match(/^PRETTY_NAME="?([^"\n]*)"?/m);
    return m?.[1] ?? "linux";
  } catch {
    return "linux";
  }
}

export function machine(): Machine {
  return {
    nproc: availableParallelism(),
    memTotalMiB: Math.round(memTotalKiB() / 1024),
    kernel: release(),
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    os: osName(),
  };
}
