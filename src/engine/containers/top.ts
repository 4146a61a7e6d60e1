// docker top: the host's `ps` with the caller's arguments, keeping the lines whose PID is in the
// container's cgroup (moby daemon/top_unix.go).
import { cgroupPids, hostPs } from "../../platform/cgroups.ts";
import type { CgroupLayout } from "../../platform/host.ts";
import { ConflictError, EngineError, InvalidParameterError } from "../errors.ts";
import { cgroupPathOf } from "./record.ts";
import type { ContainerService } from "./service.ts";

export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

/** Splits `ps` output into titles and the rows of the given pids (the last column keeps spaces). */
export function parsePs(output: string, pids: ReadonlySet<number>): TopResult {
  const lines = output.split("\n").filter((l) => l.trim() !== "");
  const titles = (lines[0] ?? "").trim().split(/\s+/);
  const pidIndex = titles.indexOf("PID");
  if (pidIndex < 0) throw new EngineError("Couldn't find PID field in ps output");
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    const pid = Number(fields[pidIndex]);
    if (!Number.isInteger(pid)) throw new EngineError(`Unexpected pid '${fields[pidIndex]}'`);
    if (!pids.has(pid)) continue;
    const row = fields.slice(0, titles.length - 1);
    row.push(fields.slice(titles.length - 1).join(" "));
    processes.push(row);
  }
  return { Titles: titles, Processes: processes };
}

export async function containerTop(
  containers: ContainerService,
  cgroup: CgroupLayout,
  ref: string,
  psArgs: string | undefined,
): Promise<TopResult> {
  const c = containers.repo.get(ref);
  if (!c.state.Running) throw new ConflictError(`Container ${c.id} is not running`);
  if (c.state.Restarting)
    throw new ConflictError(`Container ${c.id} is restarting, wait until the container is running`);
  const args = (psArgs || "-ef").trim().split(/\s+/);
  if (args.some((a) => a.includes("\0"))) throw new InvalidParameterError("invalid ps arguments");
  const pids = new Set(await cgroupPids(cgroupPathOf(c), cgroup));
  const result = await hostPs(args);
  if (result.code !== 0) throw new EngineError(`ps: ${(result.stderr || result.stdout).trim()}`);
  const top = parsePs(result.stdout, pids);
  containers.publish(c, "top");
  return top;
}
