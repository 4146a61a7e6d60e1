// 1. Container lifecycle: create+start+wait+remove of `busybox true` through the API, with no
// network and with the default bridge; then `run --rm` and `version` through each CLI, whose
// difference from the API figure is the CLI's own start-up cost.
import { createContainer, openWait, removeContainer, startContainer } from "../lib/engine.ts";
import { type BenchContext, interleave, type MetricGroup, timed } from "../lib/runner.ts";
import { errorLine, sh } from "../lib/sh.ts";
import type { Target } from "../targets/target.ts";

async function apiRun(t: Target, network: string): Promise<number> {
  return timed(async () => {
    const id = await createContainer(t.api, { cmd: ["true"], network });
    const waiter = await openWait(t.api, id);
    await startContainer(t.api, id);
    const code = await waiter.exited;
    await removeContainer(t.api, id);
    if (code !== 0) throw new Error(`busybox true exited ${code}`);
  });
}

async function cli(t: Target, args: string[]): Promise<number> {
  const { cmd, args: pre } = t.cli();
  const r = await sh(cmd, [...pre, ...args], { timeoutMs: 60_000 });
  if (r.code !== 0) {
    throw new Error(`${args.slice(0, 2).join(" ")} exited ${r.code}: ${errorLine(r.stderr)}`);
  }
  return r.ms;
}

export const lifecycle: MetricGroup = {
  name: "lifecycle",
  async run(ctx: BenchContext) {
    const reps = ctx.quick ? 5 : 15;
    const r = ctx.results;
    const none = r.row(
      "lifecycle",
      "lifecycle.api.none",
      "API create+start+wait+rm `true`, --network none",
      "ms",
    );
    const bridge = r.row(
      "lifecycle",
      "lifecycle.api.bridge",
      "API create+start+wait+rm `true`, default bridge",
      "ms",
    );
    const run = r.row("lifecycle", "lifecycle.cli.run", "CLI `run --rm busybox true` (default bridge)", "ms");
    const version = r.row(
      "lifecycle",
      "lifecycle.cli.version",
      "CLI `version` (CLI start-up + 2 calls)",
      "ms",
    );
    await interleave(ctx, [none], reps, async (t, _i, rec) => rec(none, await apiRun(t, "none")), {
      warmup: 1,
    });
    await interleave(ctx, [bridge], reps, async (t, _i, rec) => rec(bridge, await apiRun(t, "default")), {
      warmup: 1,
    });
    await interleave(
      ctx,
      [run],
      reps,
      async (t, _i, rec) => rec(run, await cli(t, ["run", "--rm", "busybox", "true"])),
      {
        warmup: 1,
      },
    );
    await interleave(ctx, [version], reps, async (t, _i, rec) => rec(version, await cli(t, ["version"])), {
      warmup: 1,
    });
  },
};
