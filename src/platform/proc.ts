// What /proc says about a process: whether it still runs, and its start time, so a pid the
// kernel has reused is not taken for the process wharfd started.
import { readFile } from "node:fs/promises";

/** The process's state letter and start time (clock ticks after boot), or undefined if gone. */
export async function procStat(pid: number): Promise<{ state: string; startTicks: number } | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  if (stat === "") return undefined;
  // After the ")" that ends the command name: field 3 (state) first, field 22 (starttime) 20th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0] ?? "", startTicks: Number(fields[19]) };
}

/** Whether a signal could reach `pid` (it exists, zombies included). */
export function alive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves once `pid` has exited (or is a zombie), or after `ms`. */
export async function processGone(pid: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const stat = await procStat(pid);
    if (!stat || stat.state === "Z") return;
    await new Promise((r) => setTimeout(r, 1));
  }
}
