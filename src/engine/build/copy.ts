// COPY / ADD: resolving sources (globs, .dockerignore, no escapes from the source root), a
// content digest of what will be copied (the cache key), and the copy itself into a mounted
// root filesystem, with every destination path resolved inside that root (symlinks included).
import { createHash } from "node:crypto";
import { createReadStream, type Stats } from "node:fs";
import {
  chmod,
  copyFile,
  glob,
  lchown,
  lstat,
  mkdir,
  open,
  readdir,
  readlink,
  rm,
  symlink,
  utimes,
} from "node:fs/promises";
import { join, posix } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import * as tar from "tar";
import { resolveInRoot } from "../runtime/user.ts";

export class CopyError extends Error {}

/** One file system object to copy: `src` on the host, `dest` inside the target root. */
export interface CopyEntry {
  src: string;
  /** Path relative to the source root, for hashing. */
  rel: string;
  dest: string;
  kind: "file" | "dir" | "symlink";
  mode: number;
  mtime: Date;
  /** ADD of a local archive: unpack into `dest` (a directory) instead of copying. */
  extract?: boolean;
}

export interface SourceRoot {
  dir: string;
  /** .dockerignore for the build context; nothing for stage/image sources. */
  ignored?: (rel: string) => boolean;
}

const globChars = /[*?[]/;

async function walk(root: SourceRoot, rel: string, dest: string, out: CopyEntry[]): Promise<void> {
  const abs = join(root.dir, rel);
  const names = (await readdir(abs)).sort().filter((n) => !root.ignored?.(rel === "." ? n : `${rel}/${n}`));
  const stats = await Promise.all(names.map((n) => lstat(join(abs, n))));
  for (const [i, name] of names.entries()) {
    const childRel = rel === "." ? name : `${rel}/${name}`;
    const st = stats[i] as Stats;
    const childDest = posix.join(dest, name);
    const kind = st.isDirectory()
      ? "dir"
      : st.isSymbolicLink()
        ? "symlink"
        : st.isFile()
          ? "file"
          : undefined;
    if (!kind) continue;
    out.push({
      src: join(root.dir, childRel),
      rel: childRel,
      dest: childDest,
      kind,
      mode: st.mode & 0o7777,
      mtime: st.mtime,
    });
    if (kind === "dir") await walk(root, childRel, childDest, out);
  }
}

async function isArchive(path: string): Promise<boolean> {
  const fh = await open(path, "r");
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, 512, 0);
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
    return bytesRead >= 262 && head.subarray(257, 262).toString("latin1") === "ustar";
  } finally {
    await fh.close();
  }
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
  opts: { add: boolean; keyword: string; destIsDir: boolean },
): Promise<CopyEntry[]> {
  const entries: CopyEntry[] = [];
  const matched: string[] = [];
  for (const source of sources) {
    if (opts.add && /^[a-z][a-z0-9+.-]*:\/\//i.test(source))
      throw new CopyError(
        `${opts.keyword} failed: downloading ${source} is not supported: this daemon builds without network access`,
      );
    const clean = posix.normalize(`/${source}`).slice(1) || ".";
    if (posix.normalize(source).startsWith("../") || posix.normalize(source) === "..")
      throw new CopyError(`${opts.keyword} failed: forbidden path outside the build context: ${source} ()`);
    if (globChars.test(clean)) {
      const hits: string[] = [];
      for await (const hit of glob(clean, { cwd: root.dir })) {
        const rel = hit.replace(/\\/g, "/");
        if (!root.ignored?.(rel)) hits.push(rel);
      }
      hits.sort();
      matched.push(...hits);
      continue;
    }
    // The source path itself may be a symlink: followed, but only inside the root.
    const resolved = (await resolveInRoot(root.dir, clean)).replace(/^\//, "") || ".";
    const exists = await lstat(join(root.dir, resolved)).then(
      () => true,
      () => false,
    );
    if (!exists || root.ignored?.(clean))
      throw new CopyError(
        `${opts.keyword} failed: file not found in build context or excluded by .dockerignore: stat ${source}: file does not exist`,
      );
    matched.push(resolved);
  }
  if (matched.length === 0) throw new CopyError(`${opts.keyword} failed: no source files were specified`);
  const destIsDir = opts.destIsDir || matched.length > 1;
  for (const rel of matched) {
    const abs = join(root.dir, rel);
    const st = await lstat(abs);
    if (st.isDirectory()) {
      entries.push({ src: abs, rel, dest, kind: "dir", mode: 0o755, mtime: st.mtime });
      await walk(root, rel, dest, entries);
    } else if (opts.add && st.isFile() && (await isArchive(abs))) {
      entries.push({
        src: abs,
        rel,
        dest,
        kind: "file",
        mode: st.mode & 0o7777,
        mtime: st.mtime,
        extract: true,
      });
    } else {
      const target = destIsDir ? posix.join(dest, posix.basename(rel)) : dest;
      const kind = st.isSymbolicLink() ? "symlink" : "file";
      entries.push({ src: abs, rel, dest: target, kind, mode: st.mode & 0o7777, mtime: st.mtime });
    }
  }
  return entries;
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function fileDigest(path: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) hash.update(chunk);
  });
  return hash.digest("hex");
}

/** Digest of names, kinds, modes and contents (not times), as Docker's cache compares. */
export async function hashEntries(
  entries: CopyEntry[],
  known: (rel: string) => string | undefined = () => undefined,
): Promise<string> {
  const parts = await mapLimit(entries, 16, async (e) => {
    const content =
      e.kind === "symlink"
        ? await readlink(e.src)
        : e.kind === "file"
          ? (known(e.rel) ?? (await fileDigest(e.src)))
          : "";
    return `${e.kind}\0${e.rel}\0${e.dest}\0${e.mode.toString(8)}\0${e.extract ? "x" : ""}\0${content}\n`;
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
      await pipeline(
        createReadStream(e.src),
        ...(await gunzipIfNeeded(e.src)),
        tar.x({ cwd: host, strict: true, preserveOwner: true }),
      );
    } else {
      files.push({ e, parent: await ensureDir(posix.dirname(e.dest)) });
    }
  }
  // Several sources landing on one path: the last one wins, as in Docker.
  const last = [...new Map(files.map((f) => [f.e.dest, f])).values()];
  await mapLimit(last, 16, async ({ e, parent }) => {
    const host = join(parent, posix.basename(e.dest));
    const existing = fresh.has(parent) ? undefined : await lstat(host).catch(() => undefined);
    if (existing?.isDirectory())
      throw new CopyError(`cannot overwrite directory ${e.dest} with non-directory`);
    if (existing) await rm(host, { force: true });
    if (e.kind === "symlink") {
      await symlink(await readlink(e.src), host);
      await lchown(host, own.uid, own.gid);
      return;
    }
    // copyFile keeps the source's mode; wharfd runs as root, so new files are already 0:0.
    await copyFile(e.src, host);
    if (own.mode !== undefined) await chmod(host, own.mode);
    if (chownNew) await lchown(host, own.uid, own.gid);
    await utimes(host, e.mtime, e.mtime);
  });
}

async function gunzipIfNeeded(path: string): Promise<NodeJS.ReadWriteStream[]> {
  const fh = await open(path, "r");
  try {
    const head = Buffer.alloc(2);
    await fh.read(head, 0, 2, 0);
    return head[0] === 0x1f && head[1] === 0x8b ? [createGunzip()] : [];
  } finally {
    await fh.close();
  }
}
