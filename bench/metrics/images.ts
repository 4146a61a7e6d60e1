// 5a. Images: import of a rootfs tar, save of the imported image (GET /images/get, read to the
// end), load of an image archive — about 200 MiB each (50 MiB in --quick) of large random-ish
// files, as issue #11 asks, and again with 50 MiB (10 MiB in --quick) of 4 KiB files; plus layer
// unpack throughput (MB/s of tar imported, i.e. stored and unpacked, per second).
// The many-files variant is smaller because its cost is per file, not per byte: at 200 MiB
// (51,200 files) it alone took 16 minutes of a full run (an import or load of it took wharf
// ~90-100 s, Docker ~15 s), the whole run's budget.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, statSync } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { pack as tarPack } from "tar-stream";
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
const SMALL_FILE = 4096;

type Pack = ReturnType<typeof tarPack>;

function entry(pack: Pack, header: Parameters<Pack["entry"]>[0], data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, data, (err) => (err ? reject(err) : resolve()));
  });
}

/** A tar of `bytes` of 4 KiB files in directories of 1000; returns its sha256. */
async function writeSmallFilesTar(path: string, bytes: number, seed: string): Promise<string> {
  const pack = tarPack();
  const hash = createHash("sha256");
  pack.on("data", (c: unknown) => hash.update(c as Buffer));
  const done = pipeline(pack, createWriteStream(path));
  const mtime = new Date(0);
  const count = Math.ceil(bytes / SMALL_FILE);
  for (let i = 0; i < count; i++) {
    const dir = `small/${Math.floor(i / 1000)}`;
    if (i % 1000 === 0) {
      if (i === 0)
        await entry(pack, { name: "small/", type: "directory", mode: 0o755, mtime }, Buffer.alloc(0));
      await entry(pack, { name: `${dir}/`, type: "directory", mode: 0o755, mtime }, Buffer.alloc(0));
    }
    const body = Buffer.from(`${seed} ${i} `.repeat(Math.ceil(SMALL_FILE / 8))).subarray(0, SMALL_FILE);
    await entry(pack, { name: `${dir}/${i}.txt`, mode: 0o644, mtime }, body);
  }
  pack.finalize();
  await done;
  return `sha256:${hash.digest("hex")}`;
}

/** A docker-archive with the small-files tar as its only layer. */
async function writeSmallArchive(dir: string, repoTag: string, bytes: number): Promise<string> {
  const layer = join(dir, "small-layer.tar");
  const diffId = await writeSmallFilesTar(layer, bytes, "load-small");
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      created: "2026-01-01T00:00:00Z",
      config: { Cmd: ["sh"] },
      rootfs: { type: "layers", diff_ids: [diffId] },
      history: [{ created_by: "wharf bench" }],
    }),
  );
  const configName = `${createHash("sha256").update(config).digest("hex")}.json`;
  const out = join(dir, "small-archive.tar");
  const pack = tarPack();
  const done = pipeline(pack, createWriteStream(out));
  const mtime = new Date(0);
  await new Promise<void>((resolve, reject) => {
    const sink = pack.entry(
      { name: "layer0/layer.tar", size: statSync(layer).size, mode: 0o644, mtime },
      (err) => (err ? reject(err) : resolve()),
    );
    createReadStream(layer).on("error", reject).pipe(sink);
  });
  await entry(pack, { name: configName, mode: 0o644, mtime }, config);
  const manifest = [{ Config: configName, RepoTags: [repoTag], Layers: ["layer0/layer.tar"] }];
  await entry(pack, { name: "manifest.json", mode: 0o644, mtime }, Buffer.from(JSON.stringify(manifest)));
  pack.finalize();
  await done;
  return out;
}

interface Variant {
  key: string;
  /** MiB of file data in the image */
  size: number;
  reps: number;
  what: string;
  rootfs: string;
  archive: string;
  imported: string;
  loaded: string;
}

export const images: MetricGroup = {
  name: "images",
  async run(ctx: BenchContext) {
    const r = ctx.results;
    const unpack = r.row(
      "images",
      "image.unpack",
      `layer unpack throughput (import, large files)`,
      "MB/s",
      "higher",
    );
    const variants: Variant[] = [
      {
        key: "",
        size: ctx.quick ? 50 : 200,
        reps: ctx.quick ? 2 : 3,
        what: "",
        rootfs: "",
        archive: "",
        imported: "bench/import:1",
        loaded: "bench/load:1",
      },
      {
        key: ".small",
        size: ctx.quick ? 10 : 50,
        reps: ctx.quick ? 1 : 2,
        what: " of 4 KiB files",
        rootfs: "",
        archive: "",
        imported: "bench/import-small:1",
        loaded: "bench/load-small:1",
      },
    ];
    for (const v of variants) {
      const { size, reps } = v;
      const imp = r.row("images", `image.import${v.key}`, `import a ${size} MiB rootfs tar${v.what}`, "s");
      const save = r.row("images", `image.save${v.key}`, `save that ${size} MiB image${v.what}`, "s");
      const load = r.row("images", `image.load${v.key}`, `load a ${size} MiB image archive${v.what}`, "s");
      if (activeTargets(ctx, [imp, save, load]).length === 0) continue;
      ctx.log(`  generating ${size} MiB fixtures${v.what}`);
      v.rootfs = join(ctx.tmp, `import-rootfs${v.key}.tar`);
      if (v.key === "") {
        await writeRootfsTar(v.rootfs, size * MiB, "import");
        v.archive = await writeImageArchive(ctx.tmp, "load", v.loaded, [{ bytes: size * MiB, seed: "load" }]);
      } else {
        await writeSmallFilesTar(v.rootfs, size * MiB, "import-small");
        v.archive = await writeSmallArchive(ctx.tmp, v.loaded, size * MiB);
      }
      const tarMB = statSync(v.rootfs).size / 1e6;
      const [repo, tag] = v.imported.split(":") as [string, string];

      await interleave(ctx, v.key === "" ? [imp, unpack] : [imp], reps, async (t, _i, rec) => {
        await removeImage(t.api, v.imported);
        const ms = await timed(() => importImage(t.api, fileStream(v.rootfs), repo, tag));
        rec(imp, ms / 1000);
        if (v.key === "") rec(unpack, tarMB / (ms / 1000));
      });
      await interleave(ctx, [save], reps, async (t, _i, rec) => {
        await t.api.call("GET", `/images/${v.imported}/json`);
        let bytes = 0;
        const ms = await timed(async () => {
          const res = await t.api.open("GET", "/images/get", {
            query: { names: [v.imported] },
            timeoutMs: 300_000,
          });
          if (res.statusCode !== 200) throw new Error(`GET /images/get: ${res.statusCode}`);
          bytes = await drain(res);
        });
        if (bytes < size * MiB) throw new Error(`save returned only ${bytes} bytes`);
        rec(save, ms / 1000);
      });
      await prepare(ctx, [load], (t) => removeImage(t.api, v.imported));
      await interleave(ctx, [load], reps, async (t, _i, rec) => {
        await removeImage(t.api, v.loaded);
        const ms = await timed(() =>
          t.api.progress("POST", "/images/load", {
            query: { quiet: true },
            body: fileStream(v.archive),
            timeoutMs: 300_000,
          }),
        );
        await t.api.call("GET", `/images/${v.loaded}/json`);
        rec(load, ms / 1000);
      });
      for (const t of ctx.targets) if (!t.unavailable) await removeImage(t.api, v.loaded).catch(() => {});
    }
  },
};
