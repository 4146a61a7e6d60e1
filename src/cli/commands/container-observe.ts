// top, stats, pause, unpause, update.
import type { IncomingMessage } from "node:http";
import {
  containerPause,
  containerStats,
  containerTop,
  containerUnpause,
  containerUpdate,
} from "../../client/interactive.ts";
import { jsonLines } from "../../client/jsonlines.ts";
import { type Command, forEachArg, StatusError, writeOut } from "../command.ts";
import { bytesSize, humanSize } from "../format/humanize.ts";
import { formatRows } from "../format/table.ts";
import { tabwrite } from "../format/tabwriter.ts";
import { parseMemBytes, parseNanoCpus, parseRestartPolicy, parseSwapBytes } from "../opts/values.ts";

export const topCommand: Command = {
  usage: "CONTAINER [ps OPTIONS]",
  flags: [],
  interspersed: false,
  args: { min: 1 },
  async run(ctx, _flags, args) {
    const [name, ...ps] = args as [string, ...string[]];
    const top = await containerTop(ctx.client(), name, ps.join(" "));
    const lines = [top.Titles.join("\t"), ...top.Processes.map((p) => p.join("\t"))];
    // docker top's tabwriter: minimum column width 20.
    const text = lines.map((l) => `${l}\n`).join("");
    await writeOut(
      ctx.streams.stdout,
      tabwrite(text, { minwidth: 20, tabwidth: 1, padding: 3, padchar: " " }),
    );
    return 0;
  },
};

export const pauseCommand: Command = {
  usage: "CONTAINER [CONTAINER...]",
  flags: [],
  args: { min: 1 },
  run: (ctx, _flags, args) =>
    forEachArg(ctx, args, async (name) => {
      await containerPause(ctx.client(), name);
      return name;
    }),
};

export const unpauseCommand: Command = {
  usage: "CONTAINER [CONTAINER...]",
  flags: [],
  args: { min: 1 },
  run: (ctx, _flags, args) =>
    forEachArg(ctx, args, async (name) => {
      await containerUnpause(ctx.client(), name);
      return name;
    }),
};

export const updateCommand: Command = {
  usage: "[OPTIONS] CONTAINER [CONTAINER...]",
  flags: [
    {
      name: "blkio-weight",
      type: "uint16",
      usage: "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)",
    },
    { name: "cpu-period", type: "int", usage: "Limit CPU CFS (Completely Fair Scheduler) period" },
    { name: "cpu-quota", type: "int", usage: "Limit CPU CFS (Completely Fair Scheduler) quota" },
    { name: "cpu-shares", short: "c", type: "int", usage: "CPU shares (relative weight)" },
    { name: "cpus", type: "decimal", usage: "Number of CPUs" },
    { name: "cpuset-cpus", type: "string", usage: "CPUs in which to allow execution (0-3, 0,1)" },
    { name: "cpuset-mems", type: "string", usage: "MEMs in which to allow execution (0-3, 0,1)" },
    { name: "memory", short: "m", type: "bytes", usage: "Memory limit" },
    { name: "memory-reservation", type: "bytes", usage: "Memory soft limit" },
    {
      name: "memory-swap",
      type: "bytes",
      usage: "Swap limit equal to memory plus swap: -1 to enable unlimited swap",
    },
    { name: "pids-limit", type: "int", usage: "Tune container pids limit (set -1 for unlimited)" },
    { name: "restart", type: "string", usage: "Restart policy to apply when a container exits" },
  ],
  args: { min: 1 },
  async run(ctx, flags, args) {
    const body: Record<string, unknown> = {};
    const int = (flag: string, field: string) => {
      const v = flags.string(flag);
      if (v !== undefined) body[field] = Number(v);
    };
    try {
      int("blkio-weight", "BlkioWeight");
      int("cpu-period", "CpuPeriod");
      int("cpu-quota", "CpuQuota");
      int("cpu-shares", "CpuShares");
      int("pids-limit", "PidsLimit");
      const cpus = flags.string("cpus");
      if (cpus !== undefined) body.NanoCpus = parseNanoCpus(cpus);
      const mem = flags.string("memory");
      if (mem !== undefined) body.Memory = parseMemBytes(mem);
      const res = flags.string("memory-reservation");
      if (res !== undefined) body.MemoryReservation = parseMemBytes(res);
      const swap = flags.string("memory-swap");
      if (swap !== undefined) body.MemorySwap = parseSwapBytes(swap);
      const cs = flags.string("cpuset-cpus");
      if (cs !== undefined) body.CpusetCpus = cs;
      const cm = flags.string("cpuset-mems");
      if (cm !== undefined) body.CpusetMems = cm;
      const restart = flags.string("restart");
      if (restart !== undefined) body.RestartPolicy = parseRestartPolicy(restart);
    } catch (err) {
      throw new StatusError((err as Error).message, 125);
    }
    if (Object.keys(body).length === 0) {
      throw new StatusError("you must provide one or more flags when using this command", 1);
    }
    return forEachArg(ctx, args, async (name) => {
      const r = await containerUpdate(ctx.client(), name, body);
      for (const w of r.Warnings ?? []) await writeOut(ctx.streams.stderr, `${w}\n`);
      return name;
    });
  },
};

// ---- stats ---------------------------------------------------------------------------------

interface StatsDoc {
  id?: string;
  name?: string;
  read?: string;
  cpu_stats?: {
    cpu_usage?: { total_usage?: number; percpu_usage?: number[] };
    system_cpu_usage?: number;
    online_cpus?: number;
  };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  pids_stats?: { current?: number };
  blkio_stats?: { io_service_bytes_recursive?: Array<{ op: string; value: number }> | null };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
}

export interface StatsRow {
  Container: string;
  ID: string;
  Name: string;
  CPUPerc: string;
  MemUsage: string;
  MemPerc: string;
  NetIO: string;
  BlockIO: string;
  PIDs: string;
}

/** docker/cli's stats_helpers: CPU % against the host's delta, memory without the page cache. */
export function statsRow(container: string, s: StatsDoc, trunc: boolean): StatsRow {
  const cpu = s.cpu_stats ?? {};
  const pre = s.precpu_stats ?? {};
  const cpuDelta = (cpu.cpu_usage?.total_usage ?? 0) - (pre.cpu_usage?.total_usage ?? 0);
  const sysDelta = (cpu.system_cpu_usage ?? 0) - (pre.system_cpu_usage ?? 0);
  const online = cpu.online_cpus || cpu.cpu_usage?.percpu_usage?.length || 0;
  const cpuPerc = sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * online * 100 : 0;
  const m = s.memory_stats ?? {};
  const inactive = m.stats?.total_inactive_file ?? m.stats?.inactive_file;
  let usage = m.usage ?? 0;
  if (inactive !== undefined && inactive < usage) usage -= inactive;
  const limit = m.limit ?? 0;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rx += n.rx_bytes;
    tx += n.tx_bytes;
  }
  let read = 0;
  let write = 0;
  for (const e of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    if (e.op.toLowerCase() === "read") read += e.value;
    if (e.op.toLowerCase() === "write") write += e.value;
  }
  const id = s.id ?? "";
  return {
    Container: container,
    ID: trunc ? id.slice(0, 12) : id,
    Name: (s.name ?? "").replace(/^\//, "") || "--",
    CPUPerc: `${cpuPerc.toFixed(2)}%`,
    MemUsage: `${bytesSize(usage)} / ${bytesSize(limit)}`,
    MemPerc: `${(limit > 0 ? (usage / limit) * 100 : 0).toFixed(2)}%`,
    NetIO: `${humanSize(rx)} / ${humanSize(tx)}`,
    BlockIO: `${humanSize(read)} / ${humanSize(write)}`,
    PIDs: String(s.pids_stats?.current ?? 0),
  };
}

const statsTableFormat =
  "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";
const statsHeaders = {
  Container: "CONTAINER",
  ID: "CONTAINER ID",
  Name: "NAME",
  CPUPerc: "CPU %",
  MemUsage: "MEM USAGE / LIMIT",
  MemPerc: "MEM %",
  NetIO: "NET I/O",
  BlockIO: "BLOCK I/O",
  PIDs: "PIDS",
};

async function readJson(res: IncomingMessage): Promise<StatsDoc> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8")) as StatsDoc;
}

export const statsCommand: Command = {
  usage: "[OPTIONS] [CONTAINER...]",
  flags: [
    { name: "all", short: "a", usage: "Show all containers (default shows just running)" },
    { name: "format", type: "string", usage: "Format output using a custom template" },
    { name: "no-stream", usage: "Disable streaming stats and only pull the first result" },
    { name: "no-trunc", usage: "Do not truncate output" },
  ],
  async run(ctx, flags, args) {
    const client = ctx.client();
    const trunc = !flags.bool("no-trunc");
    const format = flags.string("format");
    const names =
      args.length > 0
        ? args
        : (await client.containerList({ all: flags.bool("all") })).map((c) => c.Id.slice(0, 12));
    const render = (rows: StatsRow[]) => formatRows(format, statsTableFormat, statsHeaders, rows);
    if (flags.bool("no-stream")) {
      const rows: StatsRow[] = [];
      const errors: string[] = [];
      await Promise.all(
        names.map(async (name, i) => {
          try {
            rows[i] = statsRow(
              name,
              await readJson(await containerStats(client, name, { stream: false })),
              trunc,
            );
          } catch (err) {
            errors.push((err as Error).message);
          }
        }),
      );
      await writeOut(ctx.streams.stdout, render(rows.filter(Boolean)));
      if (errors.length > 0) throw new StatusError(errors.join("\n"), 1);
      return 0;
    }
    // Live table: one stream per container, the screen redrawn as readings come in.
    const latest = new Map<string, StatsRow>();
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.once("SIGINT", stop);
    const redraw = () => {
      const rows = names.map((n) => latest.get(n)).filter((r): r is StatsRow => r !== undefined);
      const clear = ctx.streams.stdout.isTTY ? "\x1b[2J\x1b[H" : "";
      ctx.streams.stdout.write(clear + render(rows));
    };
    const timer = setInterval(redraw, 1000);
    try {
      await Promise.all(
        names.map(async (name) => {
          const res = await containerStats(client, name, { stream: true, signal: abort.signal });
          for await (const doc of jsonLines<StatsDoc>(res)) latest.set(name, statsRow(name, doc, trunc));
        }),
      ).catch((err: Error) => {
        if (!abort.signal.aborted) throw err;
      });
    } finally {
      clearInterval(timer);
      process.off("SIGINT", stop);
    }
    return 0;
  },
};
