// 6. Build (classic POST /build): a Dockerfile with 10 RUN steps around a COPY of 5,000 small
// files (1,000 in --quick) — cold (no image or cache left from before), warm (everything
// cached), and with one file changed (COPY and the 5 RUN steps after it run again).
import type { ApiClient } from "../lib/api.ts";
import { resetDaemon } from "../lib/engine.ts";
import { BUILD_RUN_STEPS, buildContext } from "../lib/fixtures.ts";
import { type BenchContext, interleave, type MetricGroup, timed } from "../lib/runner.ts";

function build(api: ApiClient, context: Buffer): Promise<number> {
  return timed(() =>
    api.progress("POST", "/build", {
      query: { t: "bench/build:1", rm: true },
      headers: { "X-Registry-Config": "e30=" },
      body: context,
      contentType: "application/x-tar",
      timeoutMs: 600_000,
    }),
  );
}

export const buildGroup: MetricGroup = {
  name: "build",
  async run(ctx: BenchContext) {
    const reps = ctx.quick ? 1 : 2;
    // --quick copies fewer files so the whole run stays within its 3 minutes.
    const files = ctx.quick ? 1000 : 5000;
    const r = ctx.results;
    const what = `${BUILD_RUN_STEPS} RUN + COPY ${files.toLocaleString("en-US")} files`;
    const cold = r.row("build", "build.cold", `build cold: ${what}`, "s");
    const warm = r.row("build", "build.warm", "build again, all steps cached", "s");
    const changed = r.row("build", "build.changed", "build with one copied file changed", "s");
    await interleave(
      ctx,
      [cold, warm, changed],
      reps,
      async (t, i, rec) => {
        // Contexts are made before the clock starts; each sample's variant is new to the cache.
        const first = await buildContext(files, 2 * i + 100);
        const second = await buildContext(files, 2 * i + 101);
        await resetDaemon(t.api);
        rec(cold, (await build(t.api, first)) / 1000);
        rec(warm, (await build(t.api, first)) / 1000);
        rec(changed, (await build(t.api, second)) / 1000);
        await resetDaemon(t.api);
      },
      { timeoutMs: 900_000 },
    );
  },
};
