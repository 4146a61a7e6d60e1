// 3. Memory: the daemon's RSS idle and with N idle containers running (dockerd + its containerd
// for Docker, wharfd for wharf), and per running idle container: the drop of the host's
// MemAvailable, and the RSS of its monitor (containerd-shim-runc-v2 vs conmon).
import { createContainer, resetDaemon, startContainer } from "../lib/engine.ts";
import { memAvailableKiB, rssKiB } from "../lib/proc.ts";
import { type BenchContext, interleave, type MetricGroup } from "../lib/runner.ts";
import { sleep } from "../lib/sh.ts";
import type { Target } from "../targets/target.ts";

/**
 * MemAvailable once it has stopped moving: the kernel frees the network namespaces and page
 * cache of earlier metrics' containers lazily, for seconds, which would read as negative cost.
 */
async function settledMemAvailableKiB(): Promise<number> {
  let last = memAvailableKiB();
  let steady = 0;
  // At most 4 s: other work on a shared machine may keep it moving for good.
  for (let i = 0; i < 8 && steady < 3; i++) {
    await sleep(500);
    const now = memAvailableKiB();
    steady = Math.abs(now - last) < 2048 ? steady + 1 : 0;
    last = now;
  }
  return last;
}

function daemonRssMiB(t: Target): number {
  const pids = t.daemonPids();
  if (pids.length === 0) throw new Error("daemon process not found");
  return pids.reduce((sum, pid) => sum + rssKiB(pid), 0) / 1024;
}

export const memory: MetricGroup = {
  name: "memory",
  async run(ctx: BenchContext) {
    const reps = ctx.quick ? 1 : 2;
    const n = ctx.quick ? 10 : 20;
    const r = ctx.results;
    const idle = r.row("memory", "memory.daemon.idle", "daemon RSS, idle", "MiB");
    const loaded = r.row("memory", "memory.daemon.loaded", `daemon RSS, ${n} idle containers running`, "MiB");
    const host = r.row(
      "memory",
      "memory.host.per",
      "host memory per idle container (MemAvailable drop)",
      "MiB",
    );
    const monitor = r.row("memory", "memory.monitor.per", "monitor RSS per container (shim / conmon)", "MiB");
    await interleave(
      ctx,
      [idle, loaded, host, monitor],
      reps,
      async (t, _i, rec) => {
        // Let the previous metric's work (and the other daemon's) settle first.
        const before = await settledMemAvailableKiB();
        rec(idle, daemonRssMiB(t));
        const ids: string[] = [];
        let withContainers = 0;
        try {
          for (let k = 0; k < n; k++) {
            const id = await createContainer(t.api, { cmd: ["sleep", "3600"] });
            ids.push(id);
            await startContainer(t.api, id);
          }
          withContainers = await settledMemAvailableKiB();
          rec(loaded, daemonRssMiB(t));
          const monitors = t.monitorPids(ids);
          if (monitors.length !== n) {
            throw new Error(`found ${monitors.length} monitor processes for ${n} containers`);
          }
          rec(monitor, monitors.reduce((sum, pid) => sum + rssKiB(pid), 0) / 1024 / n);
        } finally {
          await resetDaemon(t.api);
        }
        // Bracketed: the baseline is the mean of before and after, which cancels a steady drift
        // (memory freed late by earlier work, a neighbour's slow growth) to first order.
        const after = await settledMemAvailableKiB();
        rec(host, ((before + after) / 2 - withContainers) / 1024 / n);
      },
      { timeoutMs: 600_000 },
    );
  },
};
