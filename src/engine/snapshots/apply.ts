// Unpacks a layer tar (plain, gzip or zstd) into a snapshot directory while hashing the
// uncompressed stream (the layer's diff ID). GNU tar extracts (src/platform/tar-extract.ts: it
// strips leading `/`, refuses `..` and never writes through a symlink that leaves the root);
// the headers read on the way refuse hard links that climb out, and give the whiteouts, which
// become overlayfs whiteouts afterwards.
import { createHash } from "node:crypto";
import { lstat, mkdir, rm } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import { pipeline as pipelineCallback, type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createZstdDecompress } from "node:zlib";
import { run } from "../../platform/exec.ts";
import { extractTar } from "../../platform/tar-extract.ts";
import { setXattr } from "../../platform/xattr.ts";
import type { DeferredLinks } from "./symlinks.ts";
import { TarHeaderScanner } from "./tar-headers.ts";

/** The fields of node-tar's ReadEntry the filters look at. */
export interface TarEntryHeader {
  type?: string;
  size?: number;
  linkpath?: string;
  uid?: number;
  gid?: number;
  mtime?: Date;
}

/** Records a symlink entry for DeferredLinks; a path outside the root is an error. */
export function deferLink(links: DeferredLinks, path: string, header: TarEntryHeader): void {
  try {
    links.add(path, { target: header.linkpath ?? "", uid: header.uid, gid: header.gid, mtime: header.mtime });
  } catch (err) {
    throw new UnsafeLayerError((err as Error).message);
  }
}

export const whiteoutPrefix = ".wh.";
export const opaqueMarker = ".wh..wh..opq";

export class UnsafeLayerError extends Error {}

export interface ApplyResult {
  /** Bytes of regular file content unpacked. */
  size: number;
  /** sha256 of the uncompressed tar: the layer's diff ID. */
  diffId: string;
  /** Bytes of the uncompressed tar. */
  tarSize: number;
}

export type Compression = "none" | "gzip" | "zstd";

/** Sniffs the compression from the first bytes (media types lie often enough: trust magic). */
export function sniffCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "zstd";
  return "none";
}

/** Reads the first bytes of `source` and returns a stream of its decompressed content. */
export async function decompress(source: Readable): Promise<Readable> {
  const head = await peek(source, 4);
  const kind = sniffCompression(head);
  if (kind === "none") return source;
  // pipeline (not pipe): a source that fails or is destroyed mid-layer also ends the
  // decompressor, so whoever reads it sees the error instead of waiting for more bytes.
  const inflate = kind === "gzip" ? createGunzip() : createZstdDecompress();
  return pipelineCallback(source, inflate, () => undefined);
}

async function peek(source: Readable, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  for (;;) {
    const chunk = source.read() as Buffer | null;
    if (chunk) {
      chunks.push(chunk);
      got += chunk.length;
      if (got >= n) break;
      continue;
    }
    if (source.readableEnded) break;
    const ended = await new Promise<boolean>((resolve, reject) => {
      const cleanup = () => {
        source.off("readable", onReadable);
        source.off("end", onEnd);
        source.off("error", onError);
      };
      const onReadable = () => {
        cleanup();
        resolve(false);
      };
      const onEnd = () => {
        cleanup();
        resolve(true);
      };
      const onError = (err: Error) => {
        cleanup();
        reject(err);
      };
      source.on("readable", onReadable);
      source.on("end", onEnd);
      source.on("error", onError);
    });
    if (ended) break;
  }
  const all = Buffer.concat(chunks);
  if (all.length > 0) source.unshift(all);
  return all.subarray(0, n);
}

/** Hard link targets are paths from the archive's root: they must not climb out of it. */
function hardLinkStaysInside(target: string): boolean {
  const norm = posix.normalize(target.replace(/^\/+/, ""));
  return norm !== ".." && !norm.startsWith("../");
}

export async function applyLayer(source: Readable, dir: string): Promise<ApplyResult> {
  const whiteouts: string[] = [];
  let size = 0;
  let rejected: Error | undefined;
  const hash = createHash("sha256");
  let tarSize = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      tarSize += chunk.length;
      done(null, chunk);
    },
  });
  const scanner = new TarHeaderScanner((member) => {
    if (member.type === "1" && !hardLinkStaysInside(member.linkpath)) {
      rejected ??= new UnsafeLayerError(
        `hard link ${member.path} points outside the layer: ${member.linkpath}`,
      );
    }
    if (posix.basename(member.path).startsWith(whiteoutPrefix)) whiteouts.push(member.path);
    else if (member.type === "0" || member.type === "7") size += member.size;
  });
  // Whiteout entries are not files to write; they are applied below as overlayfs whiteouts.
  const tar = extractTar(dir, { exclude: [`${whiteoutPrefix}*`] });
  try {
    await pipeline(await decompress(source), hasher, scanner, tar.input);
    await tar.done;
  } catch (err) {
    // Let the killed tar exit first: the caller removes the directory it was writing into.
    await tar.done.catch(() => undefined);
    throw rejected ?? err;
  }
  if (rejected) throw rejected;
  for (const path of whiteouts) {
    const rel = posix.normalize(path.replace(/^\/+/, ""));
    if (rel.startsWith("../") || rel === "..")
      throw new UnsafeLayerError(`whiteout outside the layer: ${path}`);
    const base = posix.basename(rel);
    const parent = join(dir, dirname(rel));
    await insideRoot(dir, parent);
    await mkdir(parent, { recursive: true, mode: 0o755 });
    if (base === opaqueMarker) {
      await setXattr(parent, "trusted.overlay.opaque", "y");
    } else {
      const target = join(parent, base.slice(whiteoutPrefix.length));
      await rm(target, { recursive: true, force: true });
      await run("mknod", [target, "c", "0", "0"]);
    }
  }
  return { size, diffId: `sha256:${hash.digest("hex")}`, tarSize };
}

/** Refuses a whiteout whose parent directory is reached through a symlink. */
async function insideRoot(root: string, path: string): Promise<void> {
  let cur = path;
  while (cur.length > root.length) {
    const st = await lstat(cur).catch(() => undefined);
    if (st?.isSymbolicLink()) throw new UnsafeLayerError(`whiteout through a symlink: ${path}`);
    cur = dirname(cur);
  }
}
