// 5b. Push and pull of a multi-layer image (500 MiB in 5 data layers on busybox; 100 MiB in
// --quick) to/from a registry on 127.0.0.1: Debian's distribution for Docker, wharf's own
// registry for wharf. Each sample gets a fresh, empty registry so every layer is uploaded.
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { removeImage } from "../lib/engine.ts";
import { fileStream, writeImageArchive } from "../lib/fixtures.ts";
import { freePort } from "../lib/net.ts";
import {
  activeTargets,
  type BenchContext,
  interleave,
  type MetricGroup,
  prepare,
  timed,
} from "../lib/runner.ts";
import type { Target } from "../targets/target.ts";

const run = promisify(execFile);

const MiB = 1024 * 1024;
const LOCAL = "bench/big:1";
const NO_AUTH = { "X-Registry-Auth": "e30=" };

/** skopeo copies the archive into a scratch registry; the daemon pulls it and tags it LOCAL. */
async function seedThroughRegistry(ctx: BenchContext, t: Target, archive: string): Promise<void> {
  const root = join(ctx.tmp, `registry-seed-${t.name}`);
  const reg = await t.startRegistry(root, await freePort());
  try {
    await run(
      "skopeo",
      [
        "copy",
        "--quiet",
        "--dest-tls-verify=false",
        `docker-archive:${archive}`,
        `docker://${reg.address}/bench/seed:1`,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    await t.api.progress("POST", "/images/create", {
      query: { fromImage: `${reg.address}/bench/seed`, tag: "1" },
      headers: NO_AUTH,
      timeoutMs: 600_000,
    });
    await t.api.call("POST", `/images/${reg.address}/bench/seed:1/tag`, {
      query: { repo: "bench/big", tag: "1" },
    });
    await removeImage(t.api, `${reg.address}/bench/seed:1`);
  } finally {
    await reg.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

export const registry: MetricGroup = {
  name: "registry",
  async run(ctx: BenchContext) {
    const reps = ctx.quick ? 1 : 2;
    const layers = 5;
    const total = ctx.quick ? 100 : 500;
    const r = ctx.results;
    const push = r.row(
      "registry",
      "image.push",
      `push ${total} MiB, ${layers + 1} layers, local registry`,
      "s",
    );
    const pull = r.row("registry", "image.pull", `pull it back (after rmi)`, "s");
    if (activeTargets(ctx, [push, pull]).length === 0) return;
    ctx.log(`  generating a ${total} MiB image`);
    const archive = await writeImageArchive(
      ctx.tmp,
      "big",
      LOCAL,
      Array.from({ length: layers }, (_, i) => ({ bytes: (total / layers) * MiB, seed: `big${i}` })),
    );
    const ready = await prepare(ctx, [push, pull], async (t) => {
      try {
        await t.api.progress("POST", "/images/load", {
          query: { quiet: true },
          body: fileStream(archive),
          timeoutMs: 300_000,
        });
      } catch (err) {
        // A daemon without `docker load` gets the same image through a registry instead.
        ctx.log(
          `  ${t.name}: load failed (${(err as Error).message.slice(0, 80)}); seeding via skopeo and a pull`,
        );
        await seedThroughRegistry(ctx, t, archive);
      }
    });
    if (ready.length === 0) return;
    const ports = new Map<string, number>();
    await interleave(
      ctx,
      [push, pull],
      reps,
      async (t, i, rec) => {
        if (!ports.has(t.name)) ports.set(t.name, await freePort());
        const root = join(ctx.tmp, `registry-${t.name}-${i}`);
        const reg = await t.startRegistry(root, ports.get(t.name)!);
        const repo = `${reg.address}/bench/big`;
        try {
          await t.api.call("POST", `/images/${LOCAL}/tag`, { query: { repo, tag: "1" } });
          const pushMs = await timed(() =>
            t.api.progress("POST", `/images/${repo}/push`, {
              query: { tag: "1" },
              headers: NO_AUTH,
              timeoutMs: 600_000,
            }),
          );
          rec(push, pushMs / 1000);
          await removeImage(t.api, `${repo}:1`);
          await removeImage(t.api, LOCAL);
          const pullMs = await timed(() =>
            t.api.progress("POST", "/images/create", {
              query: { fromImage: repo, tag: "1" },
              headers: NO_AUTH,
              timeoutMs: 600_000,
            }),
          );
          rec(pull, pullMs / 1000);
          // Keep the local name for the next sample's push.
          await t.api.call("POST", `/images/${repo}:1/tag`, { query: { repo: "bench/big", tag: "1" } });
          await removeImage(t.api, `${repo}:1`);
        } finally {
          await reg.stop();
          rmSync(root, { recursive: true, force: true });
        }
      },
      { timeoutMs: 900_000 },
    );
    for (const t of ready) await removeImage(t.api, LOCAL).catch(() => {});
  },
};
