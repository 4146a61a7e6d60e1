// What the memory metrics read from /proc: RSS of processes, their children, host MemAvailable.
import { readdirSync, readFileSync } from "node:fs";

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** VmRSS in KiB, 0 when the process is gone. */
export function rssKiB(pid: number): number {
  const status = readOr(`/proc/${pid}/status`);
  const m = status?.match(/^VmRSS:\s+(\d+)\s+kB/m);
  return m ? Number(m[1]) : 0;
}

export function memAvailableKiB(): number {
  const m = readFileSync("/proc/meminfo", "utf8").match(/^MemAvailable:\s+(\d+)\s+kB/m);
  return m ? Number(m[1]) : 0;
}

export function memTotalKiB(): number {
  const m = readFileSync("/proc/meminfo", "utf8").match(/^MemTotal:\s+(\d+)\s+kB/m);
  return m ? Number(m[1]) : 0;
}

export interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  cmdline: string[];
}

export function listProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readOr(`/proc/${name}/stat`);
    const cmdline = readOr(`/proc/${name}/cmdline`);
    if (!stat || cmdline === undefined) continue;
    // comm may hold spaces and parentheses: it ends at the last ")".
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const ppid = Number(stat.slice(close + 2).split(" ")[1]);
    out.push({ pid: Number(name), ppid, comm, cmdline: cmdline.split("\0").filter(Boolean) });
  }
  return out;
}

/** Direct children of `pid` whose comm is `comm`. */
export function childrenNamed(pid: number, comm: string): number[] {
  return listProcesses()
    .filter((p) => p.ppid === pid && p.comm === comm)
    .map((p) => p.pid);
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
