// The inputs the benchmarks feed both daemons, made here so no registry is needed: a busybox
// rootfs from the host's busybox-static, bigger rootfs/image archives with generated data, and a
// build context. Data is deterministic per seed (AES-CTR keystream) and compresses about 2:1,
// like real binaries, so gzip in push/pull is neither free nor worst-case.
import { execFileSync } from "node:child_process";
import { createCipheriv, createHash } from "node:crypto";
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { type Pack, pack as tarPack } from "tar-stream";

const MiB = 1024 * 1024;
const FILE_SIZE = 4 * MiB;

function busyboxPath(): string {
  for (const p of ["/bin/busybox", "/usr/bin/busybox"]) {
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // try the next one
    }
  }
  throw new Error("busybox not found (apt-get install busybox-static)");
}

function addEntry(pack: Pack, header: Parameters<Pack["entry"]>[0], data?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, data ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
  });
}

/** bin/busybox + one symlink per applet, etc/passwd, etc/group, tmp/ — a runnable busybox. */
async function addBusybox(pack: Pack): Promise<void> {
  const bin = busyboxPath();
  const applets = execFileSync(bin, ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean);
  const mtime = new Date(0);
  for (const dir of ["bin", "etc", "root", "dev", "proc", "sys"]) {
    await addEntry(pack, { name: `${dir}/`, type: "directory", mode: 0o755, mtime });
  }
  await addEntry(pack, { name: "tmp/", type: "directory", mode: 0o1777, mtime });
  await addEntry(pack, { name: "bin/busybox", mode: 0o755, mtime }, readFileSync(bin));
  for (const a of applets) {
    if (a === "busybox") continue;
    await addEntry(pack, { name: `bin/${a}`, type: "symlink", linkname: "busybox", mode: 0o777, mtime });
  }
  await addEntry(
    pack,
    { name: "etc/passwd", mode: 0o644, mtime },
    Buffer.from("root:x:0:0:root:/root:/bin/sh\n"),
  );
  await addEntry(pack, { name: "etc/group", mode: 0o644, mtime }, Buffer.from("root:x:0:\n"));
}

/** `size` bytes of data: 32 KiB of keystream then 32 KiB of text, repeated (about 2:1 in gzip). */
function dataBlock(seed: string, index: number, size: number): Buffer {
  const key = createHash("sha256").update(`${seed}/${index}`).digest();
  const cipher = createCipheriv("aes-128-ctr", key.subarray(0, 16), key.subarray(16, 32));
  const out = Buffer.alloc(size);
  const text = Buffer.from(`wharf bench ${seed} block ${index} `.repeat(2048));
  for (let off = 0; off < size; off += 64 * 1024) {
    const half = Math.min(32 * 1024, size - off);
    cipher.update(Buffer.alloc(half)).copy(out, off);
    if (off + half < size) text.copy(out, off + half, 0, Math.min(32 * 1024, size - off - half));
  }
  return out;
}

async function addData(pack: Pack, dir: string, seed: string, bytes: number): Promise<void> {
  const mtime = new Date(0);
  await addEntry(pack, { name: `${dir}/`, type: "directory", mode: 0o755, mtime });
  for (let i = 0, left = bytes; left > 0; i++, left -= FILE_SIZE) {
    const size = Math.min(FILE_SIZE, left);
    await addEntry(pack, { name: `${dir}/${i}.bin`, mode: 0o644, mtime }, dataBlock(seed, i, size));
  }
}

/** Writes a tar built by `fill` to `path`, returning its sha256 (a layer's diff ID). */
async function writeTar(path: string, fill: (pack: Pack) => Promise<void>): Promise<string> {
  const pack = tarPack();
  const hash = createHash("sha256");
  pack.on("data", (c: unknown) => {
    hash.update(c as Buffer);
  });
  const done = pipeline(pack, createWriteStream(path));
  await fill(pack);
  pack.finalize();
  await done;
  return `sha256:${hash.digest("hex")}`;
}

/** The base image's rootfs, in memory (about 2 MB). */
export async function busyboxRootfs(): Promise<Buffer> {
  const pack = tarPack();
  const chunks: Buffer[] = [];
  pack.on("data", (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const ended = new Promise<void>((r) => pack.on("end", () => r()));
  await addBusybox(pack);
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

/** A runnable rootfs tar of about `bytes`: busybox plus generated data under /data. */
export function writeRootfsTar(path: string, bytes: number, seed: string): Promise<string> {
  return writeTar(path, async (pack) => {
    await addBusybox(pack);
    await addData(pack, "data", seed, bytes);
  });
}

export interface ArchiveLayer {
  bytes: number;
  seed: string;
}

/**
 * A `docker save` style archive (manifest.json, config, <n>/layer.tar) of a runnable image:
 * layer 0 is busybox, then one layer per entry of `layers` with generated data.
 */
export async function writeImageArchive(
  dir: string,
  name: string,
  repoTag: string,
  layers: readonly ArchiveLayer[],
): Promise<string> {
  const layerFiles: { file: string; diffId: string }[] = [];
  const base = join(dir, `${name}-layer0.tar`);
  layerFiles.push({ file: base, diffId: await writeTar(base, addBusybox) });
  for (const [i, l] of layers.entries()) {
    const file = join(dir, `${name}-layer${i + 1}.tar`);
    const diffId = await writeTar(file, (pack) => addData(pack, `data${i + 1}`, l.seed, l.bytes));
    layerFiles.push({ file, diffId });
  }
  const created = "2026-01-01T00:00:00Z";
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      created,
      config: { Cmd: ["sh"], Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] },
      rootfs: { type: "layers", diff_ids: layerFiles.map((l) => l.diffId) },
      history: layerFiles.map(() => ({ created, created_by: "wharf bench" })),
    }),
  );
  const configName = `${createHash("sha256").update(config).digest("hex")}.json`;
  const manifest = [
    { Config: configName, RepoTags: [repoTag], Layers: layerFiles.map((_, i) => `layer${i}/layer.tar`) },
  ];
  const out = join(dir, `${name}.tar`);
  await writeTar(out, async (pack) => {
    const mtime = new Date(0);
    for (const [i, l] of layerFiles.entries()) {
      await addEntry(pack, { name: `layer${i}/`, type: "directory", mode: 0o755, mtime });
      const size = statSync(l.file).size;
      await new Promise<void>((resolve, reject) => {
        const entry = pack.entry({ name: `layer${i}/layer.tar`, size, mode: 0o644, mtime }, (err) =>
          err ? reject(err) : resolve(),
        );
        createReadStream(l.file).on("error", reject).pipe(entry);
      });
    }
    await addEntry(pack, { name: configName, mode: 0o644, mtime }, config);
    await addEntry(
      pack,
      { name: "manifest.json", mode: 0o644, mtime },
      Buffer.from(JSON.stringify(manifest)),
    );
  });
  for (const l of layerFiles) unlinkSync(l.file);
  return out;
}

export const BUILD_RUN_STEPS = 10;

/**
 * A build context: a Dockerfile with 10 RUN steps around a COPY of `files` small files.
 * `variant` changes one file's content, so COPY and the 5 RUNs after it miss the cache.
 */
export async function buildContext(files: number, variant: number): Promise<Buffer> {
  const lines = ["FROM busybox:latest"];
  for (let i = 1; i <= 5; i++) lines.push(`RUN echo step ${i} > /step${i}`);
  lines.push("COPY files /files");
  lines.push("RUN ls -R /files | wc -l > /count");
  for (let i = 7; i <= BUILD_RUN_STEPS; i++) lines.push(`RUN cat /count > /step${i}`);
  const pack = tarPack();
  const chunks: Buffer[] = [];
  pack.on("data", (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const ended = new Promise<void>((r) => pack.on("end", () => r()));
  const mtime = new Date(0);
  await addEntry(pack, { name: "Dockerfile", mode: 0o644, mtime }, Buffer.from(`${lines.join("\n")}\n`));
  for (let d = 0; d * 100 < files; d++) {
    await addEntry(pack, { name: `files/d${d}/`, type: "directory", mode: 0o755, mtime });
    for (let f = d * 100; f < Math.min(files, (d + 1) * 100); f++) {
      const body = f === 0 ? `changed ${variant}\n` : `file ${f} ${"x".repeat(f % 200)}\n`;
      await addEntry(pack, { name: `files/d${d}/f${f}.txt`, mode: 0o644, mtime }, Buffer.from(body));
    }
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

export function fileStream(path: string): Readable {
  return createReadStream(path, { highWaterMark: 1024 * 1024 });
}

export interface OciLayout {
  /** the layout directory (oci-layout, index.json, blobs/sha256/…) */
  dir: string;
  tag: string;
  /** sum of all blob sizes (layers, config, manifest): what a push or pull moves */
  bytes: number;
}

/**
 * An OCI image layout of `layers` gzip-compressed tar layers of generated data (each of about
 * `bytesPerLayer` before compression, about half after), with config, manifest and index.json.
 */
export async function writeOciLayout(
  dir: string,
  tag: string,
  layers: number,
  bytesPerLayer: number,
  seed: string,
): Promise<OciLayout> {
  const blobs = join(dir, "blobs", "sha256");
  mkdirSync(blobs, { recursive: true });
  let total = 0;
  const putBlob = (data: Buffer): { digest: string; size: number } => {
    const hex = createHash("sha256").update(data).digest("hex");
    writeFileSync(join(blobs, hex), data);
    total += data.length;
    return { digest: `sha256:${hex}`, size: data.length };
  };
  const descs: { digest: string; size: number; diffId: string }[] = [];
  for (let i = 0; i < layers; i++) {
    const tmp = join(dir, `layer${i}.tmp`);
    const pack = tarPack();
    const raw = createHash("sha256");
    const gz = createHash("sha256");
    let size = 0;
    const gzip = createGzip({ level: 1 });
    pack.on("data", (c: unknown) => {
      raw.update(c as Buffer);
    });
    gzip.on("data", (c: Buffer) => {
      gz.update(c);
      size += c.length;
    });
    const done = pipeline(pack, gzip, createWriteStream(tmp));
    await addData(pack, `data${i}`, `${seed}${i}`, bytesPerLayer);
    pack.finalize();
    await done;
    const hex = gz.digest("hex");
    renameSync(tmp, join(blobs, hex));
    total += size;
    descs.push({ digest: `sha256:${hex}`, size, diffId: `sha256:${raw.digest("hex")}` });
  }
  const created = "2026-01-01T00:00:00Z";
  const config = putBlob(
    Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        created,
        config: { Cmd: ["sh"] },
        rootfs: { type: "layers", diff_ids: descs.map((d) => d.diffId) },
        history: descs.map(() => ({ created, created_by: "wharf bench" })),
      }),
    ),
  );
  const manifest = putBlob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
        layers: descs.map((d) => ({
          mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
          digest: d.digest,
          size: d.size,
        })),
      }),
    ),
  );
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          ...manifest,
          annotations: { "org.opencontainers.image.ref.name": tag },
        },
      ],
    }),
  );
  return { dir, tag, bytes: total };
}
