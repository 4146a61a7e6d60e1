// COPY / ADD: resolving sources (globs, .dockerignore, no escapes from the source root), a
// content digest of what will be copied (the cache key), and the copy itself into a mounted
// root filesystem, with every destination path resolved inside that root (symlinks included).
import { createHash } from "node:crypto";
import { closeSync, constants, fchmodSync, fchownSync, futimesSync, openSync, writeSync } from "node:fs";
import { chmod, lchown, lstat, mkdir, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import * as tar from "tar";
import { daemonUmask as umask } from "../../platform/host.ts";
import { mapLimit } from "../../util/map-limit.ts";
import { resolveInRoot } from "../runtime/user.ts";
import { DirSource, type SourceFs } from "./source-fs.ts";

export class CopyError extends Error {}

/** One file system object to copy: `rel` in its source, `dest` inside the target root. */
export interface CopyEntry {
  /** Where the content comes from; absent for inline content (`data`). */
  from?: SourceFs;
  /** Inline content (a heredoc). */
  data?: Buffer;
  /** Path relative to the source root, for hashing. */
  rel: string;
  dest: string;
  kind: "file" | "dir" | "symlink";
  mode: number;
  mtime: Date;
  /** ADD of a local archive: unpack into `dest` (a directory) instead of copying. */
  extract?: boolean;
  /** A file whose `dest` turns out to be an existing directory goes into it under this name. */
  nameInDir?: string;
}

export interface SourceRoot {
  /** The source's files; or `dir`, a host directory. */
  fs?: SourceFs;
  dir?: string;
  /** .dockerignore for the build context; nothing for stage/image sources. */
  ignored?: (rel: string) => boolean;
}

const globChars = /[*?[]/;

function sourceOf(root: SourceRoot): SourceFs {
  if (root.fs) return root.fs;
  if (root.dir === undefined) throw new Error("a copy source needs fs or dir");
  return new DirSource(root.dir);
}

async function walk(
  fs: SourceFs,
  root: SourceRoot,
  rel: string,
  dest: string,
  out: CopyEntry[],
): Promise<void> {
  const names = (await fs.readdir(rel))
    .sort()
    .filter((n) => !root.ignored?.(rel === "." ? n : `${rel}/${n}`));
  const stats = await Promise.all(names.map((n) => fs.lstat(rel === "." ? n : `${rel}/${n}`)));
  for (const [i, name] of names.entries()) {
    const childRel = rel === "." ? name : `${rel}/${name}`;
    const st = stats[i];
    if (!st || st.kind === "other") continue;
    const childDest = posix.join(dest, name);
    out.push({ from: fs, rel: childRel, dest: childDest, kind: st.kind, mode: st.mode, mtime: st.mtime });
    if (st.kind === "dir") await walk(fs, root, childRel, childDest, out);
  }
}

async function isArchive(fs: SourceFs, rel: string): Promise<boolean> {
  const head = await fs.head(rel, 512);
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
  return head.length >= 262 && head.subarray(257, 262).toString("latin1") === "ustar";
}

/**
 * Expands the sources of one COPY/ADD into entries. `sources` are already variable-expanded;
 * `dest` is absolute (WORKDIR applied). Docker's rules: a source directory's contents are
 * copied (not the directory itself); a destination ending in "/" (or several sources) is a
 * directory.
 */
export async function planCopy(
  root: SourceRoot,
  sources: string[],
  dest: string,
  opts: {
    add: boolean;
    keyword: string;
    destIsDir: boolean;
    /**
     * Docker's rule for several sources (after glob expansion, counting `otherSources` — URLs
     * and heredocs of the same instruction): the destination must end with "/".
     */
    severalNeedSlash?: { otherSources: number; destEndsWithSlash: boolean };
  },
): Promise<CopyEntry[]> {
  const fs = sourceOf(root);
  const entries: CopyEntry[] = [];
  const matched: string[] = [];
  for (const source of sources) {
    const clean = posix.normalize(`/${source}`).slice(1) || ".";
    if (posix.normalize(source).startsWith("../") || posix.normalize(source) === "..")
      throw new CopyError(`${opts.keyword} failed: forbidden path outside the build context: ${source} ()`);
    if (globChars.test(clean)) {
      const hits = (await fs.glob(clean)).filter((rel) => !root.ignored?.(rel));
      hits.sort();
      matched.push(...hits);
      continue;
    }
    // The source path itself may be a symlink: followed, but only inside the root.
    const resolved = await fs.resolve(clean);
    const exists = (await fs.lstat(resolved)) !== undefined;
    if (!exists || root.ignored?.(clean))
      throw new CopyError(
        `${opts.keyword} failed: file not found in build context or excluded by .dockerignore: stat ${source}: file does not exist`,
      );
    matched.push(resolved);
  }
  if (matched.length === 0) throw new CopyError(`${opts.keyword} failed: no source files were specified`);
  const rule = opts.severalNeedSlash;
  if (rule) requireSlashForSeveral(opts.keyword, matched.length + rule.otherSources, rule.destEndsWithSlash);
  const destIsDir = opts.destIsDir || matched.length > 1;
  for (const rel of matched) {
    const st = await fs.lstat(rel);
    if (!st || st.kind === "other") continue;
    if (st.kind === "dir") {
      entries.push({ from: fs, rel, dest, kind: "dir", mode: 0o755, mtime: st.mtime });
      await walk(fs, root, rel, dest, entries);
    } else if (opts.add && st.kind === "file" && (await isArchive(fs, rel))) {
      entries.push({ from: fs, rel, dest, kind: "file", mode: st.mode, mtime: st.mtime, extract: true });
    } else {
      const name = posix.basename(rel);
      const target = destIsDir ? posix.join(dest, name) : dest;
      // A destination that is an existing directory takes the file inside it, as in Docker.
      const into = destIsDir ? {} : { nameInDir: name };
      entries.push({ from: fs, rel, dest: target, kind: st.kind, mode: st.mode, mtime: st.mtime, ...into });
    }
  }
  return entries;
}

/** The classic builder's check, after sources are expanded: several sources go into a "dir/". */
export function requireSlashForSeveral(keyword: string, sources: number, destEndsWithSlash: boolean): void {
  if (sources > 1 && !destEndsWithSlash)
    throw new CopyError(
      `When using ${keyword} with more than one source file, the destination must be a directory and end with a /`,
    );
}

const createFlags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

function writeSmallSync(
  host: string,
  data: Buffer,
  mode: number,
  mtime: Date,
  owner: { uid: number; gid: number } | undefined,
): void {
  const fd = openSync(host, createFlags, mode);
  try {
    if (data.length) writeSync(fd, data);
    if ((mode & umask) !== 0 || mode > 0o777) fchmodSync(fd, mode);
    if (owner) fchownSync(fd, owner.uid, owner.gid);
    futimesSync(fd, mtime, mtime);
  } finally {
    closeSync(fd);
  }
}

async function contentOf(e: CopyEntry): Promise<string> {
  if (e.data) return createHash("sha256").update(e.data).digest("hex");
  const from = e.from as SourceFs;
  if (e.kind === "symlink") return from.readlink(e.rel);
  return e.kind === "file" ? from.digest(e.rel) : "";
}

/** Digest of names, kinds, modes and contents (not times), as Docker's cache compares. */
export async function hashEntries(entries: CopyEntry[]): Promise<string> {
  const parts = await mapLimit(entries, 16, async (e) => {
    const content = await contentOf(e);
    // The name a file takes in an existing directory, when it is not its source's own.
    const into = e.nameInDir === undefined || e.nameInDir === posix.basename(e.rel) ? "" : `\0${e.nameInDir}`;
    return `${e.kind}\0${e.rel}\0${e.dest}\0${e.mode.toString(8)}\0${e.extract ? "x" : ""}\0${content}${into}\n`;
  });
  const hash = createHash("sha256");
  for (const p of parts) hash.update(p);
  return hash.digest("hex");
}

export interface CopyOwnership {
  uid: number;
  gid: number;
  /** --chmod: applied to every copied file and directory. */
  mode?: number;
}

/** Copies `entries` into `rootfs` (a mounted root filesystem). */
export async function copyInto(rootfs: string, entries: CopyEntry[], own: CopyOwnership): Promise<void> {
  const dirs = new Map<string, string>();
  const chownNew = own.uid !== 0 || own.gid !== 0;
  // Host path of a directory inside rootfs, created (owned as --chown says) when missing.
  // Directories made here: nothing in them can be in the way (no lstat needed per file).
  const fresh = new Set<string>();
  const ensureDir = async (dir: string): Promise<string> => {
    const known = dirs.get(dir);
    if (known) return known;
    const resolved = await resolveInRoot(rootfs, dir);
    const host = join(rootfs, resolved);
    const st = await lstat(host).catch(() => undefined);
    if (!st) {
      const parent = await ensureDir(posix.dirname(resolved));
      const created = join(parent, posix.basename(resolved));
      await mkdir(created, { mode: 0o755 });
      fresh.add(created);
      if (chownNew) await lchown(created, own.uid, own.gid);
    } else if (!st.isDirectory()) {
      throw new CopyError(`cannot copy to non-directory: ${dir}`);
    }
    dirs.set(dir, host);
    return host;
  };
  dirs.set("/", rootfs);
  // Directories first, in order (parents before children), so that files can then be copied
  // concurrently into directories that all exist.
  const files: Array<{ e: CopyEntry; parent: string }> = [];
  for (const e of entries) {
    if (e.kind === "dir") {
      const host = await ensureDir(e.dest);
      if (e.rel !== "." && e.dest !== "/") {
        await chmod(host, own.mode ?? e.mode);
        await lchown(host, own.uid, own.gid);
      }
    } else if (e.extract) {
      const host = await ensureDir(e.dest);
      const from = e.from as SourceFs;
      const gzip = (await from.head(e.rel, 2)).equals(Buffer.from([0x1f, 0x8b]));
      await pipeline(
        from.read(e.rel),
        ...(gzip ? [createGunzip()] : []),
        tar.x({ cwd: host, strict: true, preserveOwner: true }),
      );
    } else {
      files.push({ e, parent: await ensureDir(posix.dirname(e.dest)) });
    }
  }
  // Several sources landing on one path: the last one wins, as in Docker.
  const last = [...new Map(files.map((f) => [f.e.dest, f])).values()];
  // Small files whose bytes are at hand, into directories made here: written with synchronous
  // calls in short slices. Thousands of small files otherwise cost several thread-pool round
  // trips each, which dominated COPY of many small files.
  const direct: Array<{ e: CopyEntry; host: string; data: Buffer }> = [];
  const rest: typeof last = [];
  for (const f of last) {
    const data =
      f.e.kind === "file" && fresh.has(f.parent)
        ? (f.e.data ?? f.e.from?.smallContent?.(f.e.rel))
        : undefined;
    if (data) direct.push({ e: f.e, host: join(f.parent, posix.basename(f.e.dest)), data });
    else rest.push(f);
  }
  for (let i = 0; i < direct.length; ) {
    const sliceEnd = performance.now() + 4;
    do {
      const { e, host, data } = direct[i++] as (typeof direct)[number];
      writeSmallSync(host, data, own.mode ?? e.mode, e.mtime, chownNew ? own : undefined);
    } while (i < direct.length && performance.now() < sliceEnd);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await mapLimit(rest, 16, async ({ e, parent }) => {
    let host = join(parent, posix.basename(e.dest));
    let existing = fresh.has(parent) ? undefined : await lstat(host).catch(() => undefined);
    if (e.nameInDir !== undefined && (existing?.isDirectory() || existing?.isSymbolicLink())) {
      // Followed inside the root only: a symlink must not lead the write out of it.
      const resolved = join(rootfs, await resolveInRoot(rootfs, e.dest));
      if ((await stat(resolved).catch(() => undefined))?.isDirectory()) {
        host = join(resolved, e.nameInDir);
        existing = await lstat(host).catch(() => undefined);
      }
    }
    if (existing?.isDirectory())
      throw new CopyError(`cannot overwrite directory ${e.dest} with non-directory`);
    if (existing) await rm(host, { force: true });
    if (e.kind === "symlink") {
      await symlink(await (e.from as SourceFs).readlink(e.rel), host);
      await lchown(host, own.uid, own.gid);
      return;
    }
    // New files are created by root (wharfd), so already 0:0.
    if (e.data) await writeFile(host, e.data, { mode: e.mode });
    else await (e.from as SourceFs).copyTo(e.rel, host, e.mode);
    if (own.mode !== undefined) await chmod(host, own.mode);
    if (chownNew) await lchown(host, own.uid, own.gid);
    await utimes(host, e.mtime, e.mtime);
  });
}
