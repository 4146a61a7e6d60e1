// Reading a container's cgroup: its processes and resource counters, from cgroup v1 (one
// hierarchy per controller, as on hybrid hosts) or v2 (one unified hierarchy).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type ExecResult, execFile } from "./exec.ts";
import type { CgroupLayout } from "./host.ts";

const cgroupRoot = "/sys/fs/cgroup";

async function text(path: string): Promise<string | undefined> {
  return readFile(path, "utf8").catch(() => undefined);
}

async function num(path: string): Promise<number | undefined> {
  const t = (await text(path))?.trim();
  if (t === undefined || t === "" || t === "max") return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** "key value" lines (memory.stat, cpu.stat) as numbers. */
function keyValues(t: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (t ?? "").split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** PIDs of every process in the cgroup (host pid namespace). */
export async function cgroupPids(cgroupsPath: string, layout: CgroupLayout): Promise<number[]> {
  const root = cgroupRoot;
  const file =
    layout.version === 2
      ? join(root, cgroupsPath, "cgroup.procs")
      : join(root, "pids", cgroupsPath, "cgroup.procs");
  const t = (await text(file)) ?? (await text(join(root, "memory", cgroupsPath, "cgroup.procs"))) ?? "";
  return t
    .split("\n")
    .filter((l) => /^\d+$/.test(l.trim()))
    .map(Number);
}

export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

export interface CgroupSample {
  cpu: {
    totalNs: number;
    userNs: number;
    kernelNs: number;
    /** Per-CPU usage (v1 only). */
    perCpuNs?: number[];
    periods: number;
    throttledPeriods: number;
    throttledNs: number;
  };
  memory: {
    usage?: number;
    maxUsage?: number;
    limit?: number;
    stats: Record<string, number>;
  };
  pids: { current?: number; limit?: number };
  blkio: { serviceBytes: BlkioEntry[]; serviced: BlkioEntry[] };
}

const ticksToNs = 10_000_000; // USER_HZ is 100 on Linux

/** One reading of the container's cgroup counters (`root`: another cgroup mount, e.g. a fixture). */
export async function readCgroup(
  cgroupsPath: string,
  layout: CgroupLayout,
  root = cgroupRoot,
): Promise<CgroupSample> {
  return layout.version === 2 ? readV2(join(root, cgroupsPath)) : readV1(root, cgroupsPath);
}

async function readV1(root: string, path: string): Promise<CgroupSample> {
  const dir = (controller: string) => join(root, controller, path);
  const [
    usage,
    percpu,
    cpuacctStat,
    cpuStat,
    memUsage,
    memMax,
    memLimit,
    memStat,
    pidsCur,
    pidsMax,
    bytes,
    ios,
  ] = await Promise.all([
    num(join(dir("cpuacct"), "cpuacct.usage")),
    text(join(dir("cpuacct"), "cpuacct.usage_percpu")),
    text(join(dir("cpuacct"), "cpuacct.stat")),
    text(join(dir("cpu"), "cpu.stat")),
    num(join(dir("memory"), "memory.usage_in_bytes")),
    num(join(dir("memory"), "memory.max_usage_in_bytes")),
    num(join(dir("memory"), "memory.limit_in_bytes")),
    text(join(dir("memory"), "memory.stat")),
    num(join(dir("pids"), "pids.current")),
    num(join(dir("pids"), "pids.max")),
    text(join(dir("blkio"), "blkio.throttle.io_service_bytes")),
    text(join(dir("blkio"), "blkio.throttle.io_serviced")),
  ]);
  const acct = keyValues(cpuacctStat);
  const throttle = keyValues(cpuStat);
  return {
    cpu: {
      totalNs: usage ?? 0,
      userNs: (acct.user ?? 0) * ticksToNs,
      kernelNs: (acct.system ?? 0) * ticksToNs,
      perCpuNs: (percpu ?? "").trim().split(/\s+/).filter(Boolean).map(Number),
      periods: throttle.nr_periods ?? 0,
      throttledPeriods: throttle.nr_throttled ?? 0,
      throttledNs: throttle.throttled_time ?? 0,
    },
    memory: { usage: memUsage, maxUsage: memMax, limit: memLimit, stats: keyValues(memStat) },
    pids: { current: pidsCur, limit: pidsMax },
    blkio: { serviceBytes: blkioV1(bytes), serviced: blkioV1(ios) },
  };
}

/** "8:0 Read 4096" lines, each device's "Total" too (as Docker); the last, device-less "Total" is not. */
function blkioV1(t: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (t ?? "").split("\n")) {
    const m = /^(\d+):(\d+) (\w+) (\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3] as string, value: Number(m[4]) });
  }
  return out;
}

async function readV2(dir: string): Promise<CgroupSample> {
  const [cpuStat, memCurrent, memPeak, memMax, memStat, pidsCur, pidsMax, io] = await Promise.all([
    text(join(dir, "cpu.stat")),
    num(join(dir, "memory.current")),
    num(join(dir, "memory.peak")),
    num(join(dir, "memory.max")),
    text(join(dir, "memory.stat")),
    num(join(dir, "pids.current")),
    num(join(dir, "pids.max")),
    text(join(dir, "io.stat")),
  ]);
  const cpu = keyValues(cpuStat);
  const serviceBytes: BlkioEntry[] = [];
  const serviced: BlkioEntry[] = [];
  for (const line of (io ?? "").split("\n")) {
    const [dev, ...fields] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? "");
    if (!m) continue;
    const kv = Object.fromEntries(fields.map((f) => f.split("=") as [string, string]));
    const at = { major: Number(m[1]), minor: Number(m[2]) };
    serviceBytes.push({ ...at, op: "read", value: Number(kv.rbytes ?? 0) });
    serviceBytes.push({ ...at, op: "write", value: Number(kv.wbytes ?? 0) });
    serviced.push({ ...at, op: "read", value: Number(kv.rios ?? 0) });
    serviced.push({ ...at, op: "write", value: Number(kv.wios ?? 0) });
  }
  return {
    cpu: {
      totalNs: (cpu.usage_usec ?? 0) * 1000,
      userNs: (cpu.user_usec ?? 0) * 1000,
      kernelNs: (cpu.system_usec ?? 0) * 1000,
      periods: cpu.nr_periods ?? 0,
      throttledPeriods: cpu.nr_throttled ?? 0,
      throttledNs: (cpu.throttled_usec ?? 0) * 1000,
    },
    memory: { usage: memCurrent, maxUsage: memPeak, limit: memMax, stats: keyValues(memStat) },
    pids: { current: pidsCur, limit: pidsMax },
    blkio: { serviceBytes, serviced },
  };
}

/** The host's total CPU time in nanoseconds (/proc/stat's first line), Docker's system_cpu_usage. */
export async function systemCpuNs(): Promise<number> {
  const line = ((await text("/proc/stat")) ?? "").split("\n")[0] ?? "";
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  return fields.reduce((a, b) => a + b, 0) * ticksToNs;
}

export interface NetDevCounters {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

/** Interface counters as seen inside a process's network namespace (loopback left out). */
export async function netDevOf(pid: number): Promise<Record<string, NetDevCounters>> {
  const out: Record<string, NetDevCounters> = {};
  for (const line of ((await text(`/proc/${pid}/net/dev`)) ?? "").split("\n").slice(2)) {
    const [name, rest] = line.split(":");
    if (!name || rest === undefined || name.trim() === "lo") continue;
    const f = rest.trim().split(/\s+/).map(Number);
    out[name.trim()] = {
      rx_bytes: f[0] ?? 0,
      rx_packets: f[1] ?? 0,
      rx_errors: f[2] ?? 0,
      rx_dropped: f[3] ?? 0,
      tx_bytes: f[8] ?? 0,
      tx_packets: f[9] ?? 0,
      tx_errors: f[10] ?? 0,
      tx_dropped: f[11] ?? 0,
    };
  }
  return out;
}

/** Runs the host's `ps` (procps) with the user's arguments, as `docker top` does. */
export async function hostPs(args: string[]): Promise<ExecResult> {
  return execFile("ps", args);
}
