// Facts about the host kernel: cgroup layout, resource limits, memory, OS.
import { existsSync, readFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";

export interface CgroupLayout {
  /** 2 on a pure cgroup v2 host, 1 when the controllers live in cgroup v1 (including hybrid). */
  version: 1 | 2;
  hybrid: boolean;
}

export function cgroupLayout(): CgroupLayout {
  if (existsSync("/sys/fs/cgroup/cgroup.controllers")) return { version: 2, hybrid: false };
  return { version: 1, hybrid: existsSync("/sys/fs/cgroup/unified/cgroup.controllers") };
}

const limitNames: Record<string, string> = {
  "Max cpu time": "cpu",
  "Max file size": "fsize",
  "Max data size": "data",
  "Max stack size": "stack",
  "Max core file size": "core",
  "Max resident set": "rss",
  "Max processes": "nproc",
  "Max open files": "nofile",
  "Max locked memory": "memlock",
  "Max address space": "as",
  "Max file locks": "locks",
  "Max pending signals": "sigpending",
  "Max msgqueue size": "msgqueue",
  "Max nice priority": "nice",
  "Max realtime priority": "rtprio",
  "Max realtime timeout": "rttime",
};

/** Hard rlimits of this process by Docker's ulimit names; unlimited ones are left out. */
export function hostHardLimits(): Record<string, number> {
  const limits: Record<string, number> = {};
  for (const line of readFileSync("/proc/self/limits", "utf8").split("\n").slice(1)) {
    const name = Object.keys(limitNames).find((n) => line.startsWith(n));
    if (!name) continue;
    const hard = line.slice(name.length).trim().split(/\s+/)[1];
    if (hard && hard !== "unlimited") limits[limitNames[name] as string] = Number(hard);
  }
  return limits;
}

/** Whether the kernel OOM-killed a process in the container's memory cgroup. */
export function cgroupOomKilled(cgroupsPath: string, layout: CgroupLayout): boolean {
  const file =
    layout.version === 2
      ? `/sys/fs/cgroup${cgroupsPath}/memory.events`
      : `/sys/fs/cgroup/memory${cgroupsPath}/memory.oom_control`;
  try {
    const m = /^oom_kill (\d+)$/m.exec(readFileSync(file, "utf8"));
    return m !== null && Number(m[1]) > 0;
  } catch {
    return false;
  }
}

export interface HostFacts {
  kernelVersion: string;
  operatingSystem: string;
  ncpu: number;
  memTotal: number;
}

export function hostFacts(): HostFacts {
  let operatingSystem = "Linux";
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync("/etc/os-release", "utf8"));
    if (m?.[1]) operatingSystem = m[1];
  } catch {
    // keep the generic name
  }
  return { kernelVersion: release(), operatingSystem, ncpu: cpus().length, memTotal: totalmem() };
}

/** This process's capability bounding set, as a bit mask (bit N = capability number N). */
export function capabilityBoundingSet(): bigint {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? BigInt(`0x${m[1]}`) : 0n;
}

/** The daemon's umask: files whose mode it would not alter need no chmod after open. */
export const daemonUmask = Number.parseInt(
  /^Umask:\s*([0-7]+)/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? "22",
  8,
);
