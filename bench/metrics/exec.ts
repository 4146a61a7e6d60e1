// 4a. Exec latency: `true` run in a running container — exec create, start (hijacked stream read
// to its end, as the CLI does), then inspect for the exit code.
import { createContainer, resetDaemon, startContainer } from "../lib/engine.ts";
import { type BenchContext, interleave, type MetricGroup, prepare, timed } from "../lib/runner.ts";

export const exec: MetricGroup = {
  name: "exec",
  async run(ctx: BenchContext) {
    const reps = ctx.quick ? 10 : 30;
    const row = ctx.results.row("exec", "exec.latency", "exec `true` in a running container", "ms");
    const ids = new Map<string, string>();
    const ready = await prepare(ctx, [row], async (t) => {
      const id = await createContainer(t.api, { cmd: ["sleep", "3600"], network: "none" });
      ids.set(t.name, id);
      await startContainer(t.api, id);
    });
    if (ready.length === 0) return;
    await interleave(
      ctx,
      [row],
      reps,
      async (t, _i, rec) => {
        const container = ids.get(t.name)!;
        let code = -1;
        const ms = await timed(async () => {
          const { Id } = await t.api.json<{ Id: string }>("POST", `/containers/${container}/exec`, {
            body: { AttachStdout: true, AttachStderr: true, Cmd: ["true"] },
          });
          await t.api.hijack(`/exec/${Id}/start`, { body: { Detach: false, Tty: false } });
          code = (await t.api.json<{ ExitCode: number | null }>("GET", `/exec/${Id}/json`)).ExitCode ?? -1;
        });
        if (code !== 0) throw new Error(`exec true exited ${code}`);
        rec(row, ms);
      },
      { warmup: 2 },
    );
    for (const t of ready) await resetDaemon(t.api).catch(() => {});
  },
};
