// 5a. Images: import of a rootfs tar, save of the imported image (GET /images/get, read to the
// end), load of an image archive — all about 200 MiB (50 MiB in --quick).
import { join } from "node:path";
import { drain } from "../lib/api.ts";
import { importImage, removeImage } from "../lib/engine.ts";
import { fileStream, writeImageArchive, writeRootfsTar } from "../lib/fixtures.ts";
import {
  activeTargets,
  type BenchContext,
  interleave,
  type MetricGroup,
  prepare,
  timed,
} from "../lib/runner.ts";

const MiB = 1024 * 1024;
const IMPORTED = "bench/import:1";
const LOADED = "bench/load:1";

export const images: MetricGroup = {
  name: "images",
  async run(ctx: BenchContext) {
    const reps = ctx.quick ? 2 : 3;
    const size = ctx.quick ? 50 : 200;
    const r = ctx.results;
    const imp = r.row("images", "image.import", `import a ${size} MiB rootfs tar`, "s");
    const save = r.row("images", "image.save", `save that ${size} MiB image`, "s");
    const load = r.row("images", "image.load", `load a ${size} MiB image archive`, "s");
    if (activeTargets(ctx, [imp, save, load]).length === 0) return;
    ctx.log(`  generating ${size} MiB fixtures`);
    const rootfs = join(ctx.tmp, "import-rootfs.tar");
    await writeRootfsTar(rootfs, size * MiB, "import");
    const archive = await writeImageArchive(ctx.tmp, "load", LOADED, [{ bytes: size * MiB, seed: "load" }]);

    await interleave(ctx, [imp], reps, async (t, _i, rec) => {
      await removeImage(t.api, IMPORTED);
      rec(imp, (await timed(() => importImage(t.api, fileStream(rootfs), "bench/import", "1"))) / 1000);
    });
    await interleave(ctx, [save], reps, async (t, _i, rec) => {
      await t.api.call("GET", `/images/${IMPORTED}/json`);
      let bytes = 0;
      const ms = await timed(async () => {
        const res = await t.api.open("GET", "/images/get", {
          query: { names: [IMPORTED] },
          timeoutMs: 300_000,
        });
        if (res.statusCode !== 200) throw new Error(`GET /images/get: ${res.statusCode}`);
        bytes = await drain(res);
      });
      if (bytes < size * MiB) throw new Error(`save returned only ${bytes} bytes`);
      rec(save, ms / 1000);
    });
    await prepare(ctx, [load], (t) => removeImage(t.api, IMPORTED));
    await interleave(ctx, [load], reps, async (t, _i, rec) => {
      await removeImage(t.api, LOADED);
      const ms = await timed(() =>
        t.api.progress("POST", "/images/load", {
          query: { quiet: true },
          body: fileStream(archive),
          timeoutMs: 300_000,
        }),
      );
      await t.api.call("GET", `/images/${LOADED}/json`);
      rec(load, ms / 1000);
    });
    for (const t of ctx.targets) if (!t.unavailable) await removeImage(t.api, LOADED).catch(() => {});
  },
};
