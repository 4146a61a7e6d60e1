// Volumes: write throughput of `dd` (1 GiB, fsync'd before dd exits) into a named volume, into
// the container's overlay rw layer, and straight into a host directory without any container,
// in MB/s. Container figures are 1 GiB over create-to-exit, so they include start-up (~0.1 s).
import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { BASE_IMAGE, openWait, removeContainer, startContainer } from "../lib/engine.ts";
import { type BenchContext, interleave, type MetricGroup, timed } from "../lib/runner.ts";
import type { Target } from "../targets/target.ts";

const run = promisify(execFile);
const MIB = 1024;
const BYTES = MIB * 1024 * 1024;
const VOLUME = "wharf-bench-vol";

function dd(path: string): string[] {
  return ["dd", "if=/dev/zero", `of=${path}`, "bs=1M", `count=${MIB}`, "conv=fsync"];
}

/** Seconds from create to exit of a container running `cmd`, with `binds` mounted. */
async function containerSeconds(t: Target, cmd: string[], binds: string[]): Promise<number> {
  const body = { Image: BASE_IMAGE, Cmd: cmd, HostConfig: { NetworkMode: "none", Binds: binds } };
  const { Id } = await t.api.json<{ Id: string }>("POST", "/containers/create", { body });
  try {
    return (
      (await timed(async () => {
        const waiter = await openWait(t.api, Id);
        await startContainer(t.api, Id);
        const code = await waiter.exited;
        if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}`);
      })) / 1000
    );
  } finally {
    await removeContainer(t.api, Id, true);
  }
}

export const volumes: MetricGroup = {
  name: "volumes",
  async run(ctx: BenchContext) {
    const reps = ctx.quick ? 1 : 2;
    const r = ctx.results;
    const vol = r.row("volumes", "volumes.write.named", "dd 1 GiB into a named volume", "MB/s", "higher");
    const layer = r.row(
      "volumes",
      "volumes.write.rw-layer",
      "dd 1 GiB into the overlay rw layer",
      "MB/s",
      "higher",
    );
    const host = r.row(
      "volumes",
      "volumes.write.host",
      "dd 1 GiB into a host dir (no container)",
      "MB/s",
      "higher",
    );
    const mbps = (seconds: number) => BYTES / 1e6 / seconds;
    await interleave(
      ctx,
      [vol, layer, host],
      reps,
      async (t, i, rec) => {
        await t.api.json("POST", "/volumes/create", { body: { Name: VOLUME } });
        try {
          rec(vol, mbps(await containerSeconds(t, dd("/v/zero"), [`${VOLUME}:/v`])));
        } finally {
          await t.api.call("DELETE", `/volumes/${VOLUME}`, { query: { force: true } }, [404]);
        }
        rec(layer, mbps(await containerSeconds(t, dd("/zero"), [])));
        const file = join(ctx.tmp, `host-dd-${t.name}-${i}`);
        try {
          const [cmd, ...args] = dd(file) as [string, ...string[]];
          const s = (await timed(() => run(cmd, args))) / 1000;
          rec(host, mbps(s));
        } finally {
          await rm(file, { force: true });
        }
      },
      { timeoutMs: 600_000 },
    );
  },
};
