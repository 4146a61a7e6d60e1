// docker stats: cgroup counters (v1 or v2) in Docker's StatsJSON shape, one-shot or streamed
// once a second with the previous reading as precpu_stats.
import { cpus, totalmem } from "node:os";
import { type CgroupSample, netDevOf, readCgroup, systemCpuNs } from "../../platform/cgroups.ts";
import type { CgroupLayout } from "../../platform/host.ts";
import { type ContainerRecord, cgroupPathOf } from "./record.ts";
import type { ContainerService } from "./service.ts";

const zeroTime = "0001-01-01T00:00:00Z";

interface Reading {
  read: string;
  sample: CgroupSample;
  systemNs: number;
}

export type ContainerStats = Record<string, unknown>;

function cpuStats(r: Reading | undefined, layout: CgroupLayout): Record<string, unknown> {
  if (!r) {
    return {
      cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
      throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
    };
  }
  const c = r.sample.cpu;
  return {
    cpu_usage: {
      total_usage: c.totalNs,
      ...(layout.version === 1 && c.perCpuNs?.length ? { percpu_usage: c.perCpuNs } : {}),
      usage_in_kernelmode: c.kernelNs,
      usage_in_usermode: c.userNs,
    },
    system_cpu_usage: r.systemNs,
    online_cpus: cpus().length,
    throttling_data: {
      periods: c.periods,
      throttled_periods: c.throttledPeriods,
      throttled_time: c.throttledNs,
    },
  };
}

/**
 * Docker's blkio_stats: on cgroup v1 every list is an array (empty when the file had nothing);
 * on v2 only the two io.stat gives are filled, and an empty one is null.
 */
function blkioStats(s: CgroupSample | undefined, layout: CgroupLayout): Record<string, unknown> {
  const v1 = layout.version === 1 && s !== undefined;
  const list = (entries: CgroupSample["blkio"]["serviceBytes"] | undefined) =>
    entries && entries.length > 0 ? entries : v1 ? [] : null;
  const other = v1 ? [] : null;
  return {
    io_service_bytes_recursive: list(s?.blkio.serviceBytes),
    io_serviced_recursive: list(s?.blkio.serviced),
    io_queue_recursive: other,
    io_service_time_recursive: other,
    io_wait_time_recursive: other,
    io_merged_recursive: other,
    io_time_recursive: other,
    sectors_recursive: other,
  };
}

/** Docker's StatsJSON for a reading and the one before it. */
export function statsJson(
  c: ContainerRecord,
  layout: CgroupLayout,
  cur: Reading | undefined,
  prev: Reading | undefined,
  networks?: Record<string, unknown>,
): ContainerStats {
  const s = cur?.sample;
  const hostMem = totalmem();
  const memory: Record<string, unknown> = {};
  if (s && s.memory.usage !== undefined) {
    memory.usage = s.memory.usage;
    if (layout.version === 1 && s.memory.maxUsage !== undefined) memory.max_usage = s.memory.maxUsage;
    memory.stats = s.memory.stats;
    memory.limit = s.memory.limit !== undefined && s.memory.limit < hostMem ? s.memory.limit : hostMem;
  }
  const pids: Record<string, number> = {};
  if (s?.pids.current !== undefined) pids.current = s.pids.current;
  if (s?.pids.limit !== undefined) pids.limit = s.pids.limit;
  return {
    read: cur?.read ?? zeroTime,
    preread: prev?.read ?? zeroTime,
    pids_stats: pids,
    blkio_stats: blkioStats(s, layout),
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(cur, layout),
    precpu_stats: cpuStats(prev, layout),
    memory_stats: memory,
    name: `/${c.name}`,
    id: c.id,
    ...(networks && Object.keys(networks).length > 0 ? { networks } : {}),
  };
}

export class StatsService {
  private readonly containers: ContainerService;
  private readonly layout: CgroupLayout;

  constructor(containers: ContainerService, layout: CgroupLayout) {
    this.containers = containers;
    this.layout = layout;
  }

  private async reading(c: ContainerRecord): Promise<Reading | undefined> {
    if (!c.state.Running) return undefined;
    const [sample, systemNs] = await Promise.all([readCgroup(cgroupPathOf(c), this.layout), systemCpuNs()]);
    return { read: new Date().toISOString().replace("Z", "000000Z"), sample, systemNs };
  }

  private async networks(c: ContainerRecord): Promise<Record<string, unknown> | undefined> {
    if (!c.state.Running || !c.state.Pid || c.hostConfig.NetworkMode === "host") return undefined;
    return netDevOf(c.state.Pid);
  }

  /**
   * Stats of one container: with `stream`, one document a second until the signal aborts or
   * the container stops running; otherwise one document (after a second's wait to fill
   * precpu_stats, unless `oneShot`).
   */
  async *stats(
    ref: string,
    opts: { stream: boolean; oneShot: boolean },
    signal: AbortSignal,
  ): AsyncGenerator<ContainerStats> {
    const c = this.containers.repo.get(ref);
    let prev: Reading | undefined;
    if (!opts.stream && !opts.oneShot && c.state.Running) {
      prev = await this.reading(c);
      await sleep(1000, signal);
    }
    for (;;) {
      if (signal.aborted) return;
      const cur = await this.reading(c);
      yield statsJson(c, this.layout, cur, prev, await this.networks(c));
      if (!opts.stream) return;
      prev = cur;
      await sleep(1000, signal);
      if (!this.containers.repo.find(c.id)) return;
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });
}
