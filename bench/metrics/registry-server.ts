// 5c. The registry servers on their own, driven by the same client (skopeo), no daemon involved:
// wharf's registry in the wharf column, Debian's distribution 2.8 in the docker column.
// - push / pull throughput of an OCI image of several gzip layers (about 500 MB; 100 MB in
//   --quick): `skopeo copy` from an OCI layout to a fresh, empty registry, then back into a
//   fresh layout. Throughput = the image's bytes (all blobs) / seconds.
// - peak RSS of the server while one big blob (1 GiB, as the issue asks; 128 MiB in --quick) is uploaded to it
//   (POST, then one streamed PUT ?digest=), VmRSS sampled every 50 ms.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { type OciLayout, writeOciLayout } from "../lib/fixtures.ts";
import { freePort } from "../lib/net.ts";
import { rssKiB } from "../lib/proc.ts";
import type { MetricRow } from "../lib/results.ts";
import {
  activeTargets,
  type BenchContext,
  interleave,
  type MetricGroup,
  prepare,
  timed,
} from "../lib/runner.ts";
import { shOk, which } from "../lib/sh.ts";
import type { Registry, Target } from "../targets/target.ts";

const MiB = 1024 * 1024;
const GROUP = "registry-server";
const TAG = "1";
const CHUNK = MiB;

/** Chunk `i` of the upload: a fixed random-looking MiB with its index stamped in front. */
function chunkOf(base: Buffer, i: number): Buffer {
  const c = Buffer.from(base);
  c.writeUInt32BE(i, 0);
  return c;
}

function blobDigest(base: Buffer, bytes: number): string {
  const h = createHash("sha256");
  for (let i = 0; i * CHUNK < bytes; i++)
    h.update(chunkOf(base, i).subarray(0, Math.min(CHUNK, bytes - i * CHUNK)));
  return `sha256:${h.digest("hex")}`;
}

function httpCall(
  method: string,
  url: string,
  body?: { bytes: number; base: Buffer },
): Promise<{ status: number; location?: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {
      "Content-Length": body ? body.bytes : 0,
      "Content-Type": "application/octet-stream",
    };
    const req = request(url, { method, headers }, (res) => {
      res.resume();
      res.on("end", () => {
        const loc = res.headers.location;
        resolve({ status: res.statusCode ?? 0, location: loc });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    if (!body) {
      req.end();
      return;
    }
    // Streamed with backpressure: only a chunk or two in flight on the client side.
    let i = 0;
    const write = (): void => {
      while (i * CHUNK < body.bytes) {
        const c = chunkOf(body.base, i).subarray(0, Math.min(CHUNK, body.bytes - i * CHUNK));
        i++;
        if (!req.write(c)) {
          req.once("drain", write);
          return;
        }
      }
      req.end();
    };
    write();
  });
}

/** Uploads the blob (POST, then one PUT with the whole body); resolves when the server has it. */
async function uploadBlob(reg: Registry, bytes: number, base: Buffer, digest: string): Promise<void> {
  const start = await httpCall("POST", `http://${reg.address}/v2/bench/blob/blobs/uploads/`);
  if (start.status !== 202 || !start.location) throw new Error(`upload POST answered ${start.status}`);
  const loc = new URL(start.location, `http://${reg.address}`);
  loc.searchParams.set("digest", digest);
  const put = await httpCall("PUT", loc.toString(), { bytes, base });
  if (put.status !== 201) throw new Error(`upload PUT answered ${put.status}`);
}

/** Peak VmRSS (MiB) of `pid` while `fn` runs, read every 50 ms. */
async function peakRss(pid: number, fn: () => Promise<void>): Promise<number> {
  let peak = rssKiB(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssKiB(pid));
  }, 50);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, rssKiB(pid));
  if (peak === 0) throw new Error(`no VmRSS for pid ${pid}`);
  return peak / 1024;
}

async function skopeoCopy(src: string, dest: string): Promise<void> {
  await shOk(
    "skopeo",
    ["copy", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false", src, dest],
    600_000,
  );
}

export const registryServer: MetricGroup = {
  name: GROUP,
  async run(ctx: BenchContext) {
    const reps = 2;
    const layers = 5;
    // Data before gzip; the generated data compresses about 2:1, so the image is about half.
    const imageMB = ctx.quick ? 100 : 500;
    const blobMiB = ctx.quick ? 128 : 1024;
    const r = ctx.results;
    const label = `~${imageMB} MB image, ${layers} gzip layers, skopeo copy`;
    const push = r.row(GROUP, "registry-server.push", `registry server: push ${label}`, "MB/s", "higher");
    const pull = r.row(
      GROUP,
      "registry-server.pull",
      `registry server: pull it into a fresh OCI dir`,
      "MB/s",
      "higher",
    );
    const rss = r.row(
      GROUP,
      "registry-server.upload-rss",
      `registry server: peak RSS, ${blobMiB >= 1024 ? `${blobMiB / 1024} GiB` : `${blobMiB} MiB`} blob upload (POST+PUT)`,
      "MiB",
    );
    const all: MetricRow[] = [push, pull, rss];
    if (activeTargets(ctx, all).length === 0) return;

    const work = mkdtempSync(join(ctx.tmp, "registry-server-"));
    const ports = new Map<string, number>();
    const port = async (t: Target): Promise<number> => {
      if (!ports.has(t.name)) ports.set(t.name, await freePort());
      return ports.get(t.name)!;
    };
    try {
      let image: OciLayout | undefined;
      const skopeo = await which("skopeo");
      if (!skopeo) {
        for (const row of [push, pull])
          for (const t of ctx.targets) row.na[t.name] ??= "skopeo not installed";
      } else {
        ctx.log(`  generating a ${imageMB} MB OCI image (${layers} layers)`);
        image = await writeOciLayout(
          join(work, "src"),
          TAG,
          layers,
          Math.round((2 * imageMB * 1e6) / layers),
          "rs",
        );
        ctx.log(`  image: ${(image.bytes / 1e6).toFixed(1)} MB of blobs`);
      }
      // Each daemon's registry must start at all; the samples start their own on fresh roots.
      const ready = await prepare(ctx, all, async (t) => {
        const root = join(work, `probe-${t.name}`);
        const reg = await t.startRegistry(root, await port(t));
        await reg.stop();
        rmSync(root, { recursive: true, force: true });
      });
      if (ready.length === 0) return;

      if (image) {
        const img = image;
        await interleave(
          ctx,
          [push, pull],
          reps,
          async (t, i, rec) => {
            const root = join(work, `root-${t.name}-${i}`);
            const out = join(work, `out-${t.name}-${i}`);
            const reg = await t.startRegistry(root, await port(t));
            try {
              const ref = `docker://${reg.address}/bench/img:${TAG}`;
              const pushMs = await timed(() => skopeoCopy(`oci:${img.dir}:${TAG}`, ref));
              rec(push, img.bytes / 1e6 / (pushMs / 1000));
              mkdirSync(out);
              const pullMs = await timed(() => skopeoCopy(ref, `oci:${out}:${TAG}`));
              rec(pull, img.bytes / 1e6 / (pullMs / 1000));
            } finally {
              await reg.stop();
              rmSync(root, { recursive: true, force: true });
              rmSync(out, { recursive: true, force: true });
            }
          },
          { timeoutMs: 900_000 },
        );
      }

      const base = createHash("sha512").update("wharf bench blob").digest();
      const baseChunk = Buffer.alloc(CHUNK);
      for (let off = 0; off < CHUNK; off += base.length) base.copy(baseChunk, off);
      // Scramble it cheaply so no layer of the stack can dedupe whole chunks by content.
      for (let j = 0; j < CHUNK; j += 4096) baseChunk.writeUInt32BE(Math.imul(j + 1, 2654435761) >>> 0, j);
      const bytes = blobMiB * MiB;
      const digest = blobDigest(baseChunk, bytes);
      await interleave(
        ctx,
        [rss],
        1,
        async (t, i, rec) => {
          const root = join(work, `blob-${t.name}-${i}`);
          const reg = await t.startRegistry(root, await port(t));
          try {
            rec(rss, await peakRss(reg.pid, () => uploadBlob(reg, bytes, baseChunk, digest)));
          } finally {
            await reg.stop();
            rmSync(root, { recursive: true, force: true });
          }
        },
        { timeoutMs: 600_000 },
      );
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
};
