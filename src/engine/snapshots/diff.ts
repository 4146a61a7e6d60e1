// Diffs of an overlayfs upper directory (a container's rw layer, or any plain directory):
// - `diffTar`: the OCI layer tar (whiteout files `.wh.<name>` for overlay whiteouts — char
//   devices 0/0 — and `.wh..wh..opq` in opaque directories), as `docker commit` stores it;
// - `changes`: Docker's `GET /containers/{id}/changes` list (kind 0 modified, 1 added, 2 deleted).
import { createReadStream, type Stats } from "node:fs";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { join, posix } from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as tarStream from "tar-stream";

type TarHeader = Partial<tarStream.Header> & { name: string };

import { findXattr } from "../../platform/xattr.ts";
import { opaqueMarker, whiteoutPrefix } from "./apply.ts";
import { isInitLayerDir, runtimeStubRoots, runtimeStubs } from "./runtime-stubs.ts";

export interface UpperEntry {
  /** Path inside the root, without a leading slash ("etc/passwd"). */
  rel: string;
  abs: string;
  stat: Stats;
  /** An overlay whiteout: the path was deleted. */
  whiteout: boolean;
  /** A directory marked opaque: everything below it in lower layers is hidden. */
  opaque: boolean;
}

function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/**
 * Walks `upper` depth-first in name order (parents before children), leaving out the mount
 * points the runtime made (see runtime-stubs.ts), as Docker's diff never sees them.
 */
export async function* walkUpper(upper: string): AsyncGenerator<UpperEntry> {
  const opaque = await findXattr(upper, "trusted.overlay.opaque");
  const stubs = await runtimeStubs(upper, (abs) => opaque.get(abs) === "y");
  async function* walk(dir: string, relDir: string): AsyncGenerator<UpperEntry> {
    const names = (await readdir(dir)).sort();
    // One directory's lstats at once: the thread pool runs them side by side.
    const stats = await Promise.all(names.map((name) => lstat(join(dir, name))));
    for (const [i, name] of names.entries()) {
      const abs = join(dir, name);
      const rel = relDir ? `${relDir}/${name}` : name;
      if (stubs.has(rel)) continue;
      const stat = stats[i] as Stats;
      const entry: UpperEntry = {
        rel,
        abs,
        stat,
        whiteout: isWhiteout(stat),
        opaque: stat.isDirectory() && opaque.get(abs) === "y",
      };
      yield entry;
      if (stat.isDirectory()) yield* walk(abs, rel);
    }
  }
  yield* walk(upper, "");
}

function major(rdev: number): number {
  return (rdev >> 8) & 0xfff;
}
function minor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
}

function baseHeader(name: string, st: Stats): TarHeader {
  return {
    name,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    mtime: st.mtime,
  };
}

function addEntry(pack: tarStream.Pack, header: TarHeader, body?: Readable | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (Buffer.isBuffer(body)) {
      pack.entry(header, body, (err) => (err ? reject(err) : resolve()));
      return;
    }
    const entry = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    if (body) pipeline(body, entry).catch(reject);
    else entry.end(Buffer.alloc(0));
  });
}

/** Files up to this size are read ahead whole, several at once, while the tar is written. */
const prefetchMax = 256 * 1024;
const prefetchDepth = 32;

/** Streams the OCI layer tar of `upper`. The stream errors if the walk fails. */
export function diffTar(upper: string): Readable {
  const pack = tarStream.pack();
  const write = async () => {
    // Small files are read ahead (a bounded window), so thousands of them do not cost one
    // thread-pool round trip after another; entries still go into the tar in walk order.
    const window: Array<{ e: UpperEntry; data?: Promise<Buffer> }> = [];
    for await (const e of walkUpper(upper)) {
      const st = e.stat;
      const small = st.isFile() && !e.whiteout && st.nlink === 1 && st.size <= prefetchMax;
      const data = small ? readFile(e.abs) : undefined;
      data?.catch(() => undefined); // awaited (and its error thrown) when its turn comes
      window.push({ e, data });
      if (window.length >= prefetchDepth) await emit(window.shift() as (typeof window)[number]);
    }
    for (const item of window) await emit(item);
    pack.finalize();
  };
  const links = new Map<string, string>();
  const emit = async ({ e, data }: { e: UpperEntry; data?: Promise<Buffer> }): Promise<void> => {
    const st = e.stat;
    if (e.whiteout) {
      const dir = posix.dirname(e.rel);
      const name = `${dir === "." ? "" : `${dir}/`}${whiteoutPrefix}${posix.basename(e.rel)}`;
      await addEntry(pack, { name, mode: 0, uid: 0, gid: 0, mtime: st.mtime, size: 0 });
    } else if (st.isDirectory()) {
      await addEntry(pack, { ...baseHeader(`${e.rel}/`, st), type: "directory" });
      if (e.opaque) {
        await addEntry(pack, {
          name: `${e.rel}/${opaqueMarker}`,
          mode: 0,
          uid: 0,
          gid: 0,
          mtime: st.mtime,
          size: 0,
        });
      }
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? links.get(key) : undefined;
      if (first !== undefined) {
        await addEntry(pack, { ...baseHeader(e.rel, st), type: "link", linkname: first, size: 0 });
      } else {
        if (st.nlink > 1) links.set(key, e.rel);
        const body = data ? await data : undefined;
        await addEntry(
          pack,
          { ...baseHeader(e.rel, st), type: "file", size: body ? body.length : st.size },
          body ?? createReadStream(e.abs),
        );
      }
    } else if (st.isSymbolicLink()) {
      await addEntry(pack, { ...baseHeader(e.rel, st), type: "symlink", linkname: await readlink(e.abs) });
    } else if (st.isFIFO()) {
      await addEntry(pack, { ...baseHeader(e.rel, st), type: "fifo" });
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      await addEntry(pack, {
        ...baseHeader(e.rel, st),
        type: st.isCharacterDevice() ? "character-device" : "block-device",
        devmajor: major(st.rdev),
        devminor: minor(st.rdev),
      });
    }
  };
  // tar-stream packs are streamx streams: hand out a Node stream that carries errors too.
  const out = new PassThrough();
  pack.pipe(out);
  pack.on("error", () => undefined); // forwarded to `out` below
  write().catch((err: unknown) => {
    pack.destroy(err as Error);
    out.destroy(err as Error);
  });
  return out;
}

/** Whether `upper` holds anything a layer tar would carry (an empty diff makes no layer). */
export async function hasChanges(upper: string): Promise<boolean> {
  // Cheap answers first: the full walk scans the tree's xattrs (one getfattr -R), and a commit
  // walks it again to make the tar. Only a top level of nothing but stub candidates needs it.
  const top = await readdir(upper);
  if (top.length === 0) return false;
  if (top.some((name) => !runtimeStubRoots.has(name))) return true;
  for await (const _ of walkUpper(upper)) return true;
  return false;
}

export interface Change {
  Path: string;
  /** 0 modified, 1 added, 2 deleted (Docker's ChangeType). */
  Kind: 0 | 1 | 2;
}

/**
 * Docker's change list for a container: `lowerDirs` are the image layers (topmost first) used to
 * tell "added" from "modified". Parents of changed paths that exist below are "modified".
 */
export async function changes(upper: string, lowerDirs: string[]): Promise<Change[]> {
  const out: Change[] = [];
  const existsBelow = async (rel: string): Promise<boolean> => {
    for (const dir of lowerDirs) {
      const st = await lstat(join(dir, rel)).catch(() => undefined);
      if (!st) continue;
      return !isWhiteout(st);
    }
    return false;
  };
  for await (const e of walkUpper(upper)) {
    const path = `/${e.rel}`;
    if (e.whiteout) out.push({ Path: path, Kind: 2 });
    // Docker's init layer below the rw layer always has /etc, /dev, /proc, /sys: "changed".
    else if (e.stat.isDirectory() && isInitLayerDir(e.rel)) out.push({ Path: path, Kind: 0 });
    else out.push({ Path: path, Kind: (await existsBelow(e.rel)) ? 0 : 1 });
  }
  return out;
}
