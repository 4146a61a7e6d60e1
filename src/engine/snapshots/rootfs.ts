// File access inside a container's root filesystem for cp/export: path resolution that follows
// symlinks only inside the root (a link to /etc/passwd means <root>/etc/passwd, `..` stops at
// the root), tar streams of a path, and safe extraction of a tar into a directory of the root.
import { createReadStream, type Stats } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import { join, posix } from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as tar from "tar";
import * as tarStream from "tar-stream";
import { InvalidParameterError } from "../errors.ts";
import { decompress, deferLink, type TarEntryHeader, UnsafeLayerError } from "./apply.ts";
import { DeferredLinks } from "./symlinks.ts";

type TarHeader = Partial<tarStream.Header> & { name: string };

const maxSymlinks = 255;

/**
 * Resolves `path` (absolute, as seen inside the container) to a host path under `root`.
 * Intermediate symlinks are followed inside the root; the last component is followed only
 * when `followLast` is set. Returns the in-container path reached and the host path.
 */
export async function resolveInRoot(
  root: string,
  path: string,
  followLast: boolean,
): Promise<{ inside: string; host: string }> {
  const pending = path.split("/").filter((p) => p !== "" && p !== ".");
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === "..") {
      done.pop();
      continue;
    }
    const candidate = [...done, part];
    const host = join(root, ...candidate);
    const st = await lstat(host).catch(() => undefined);
    const last = pending.length === 0;
    if (st?.isSymbolicLink() && (!last || followLast)) {
      if (++links > maxSymlinks)
        throw new InvalidParameterError(`too many levels of symbolic links: ${path}`);
      const target = await readlink(host);
      if (target.startsWith("/")) done.length = 0;
      pending.unshift(...target.split("/").filter((p) => p !== "" && p !== "."));
      continue;
    }
    done.push(part);
  }
  return { inside: `/${done.join("/")}`, host: join(root, ...done) };
}

/** Go's os.FileMode bits, as Docker's X-Docker-Container-Path-Stat reports them. */
export function goFileMode(st: Stats): number {
  let mode = st.mode & 0o777;
  if (st.mode & 0o4000) mode |= 1 << 23; // setuid
  if (st.mode & 0o2000) mode |= 1 << 22; // setgid
  if (st.mode & 0o1000) mode |= 1 << 20; // sticky
  if (st.isDirectory()) mode |= 2 ** 31;
  else if (st.isSymbolicLink()) mode |= 1 << 27;
  else if (st.isFIFO()) mode |= 1 << 25;
  else if (st.isSocket()) mode |= 1 << 24;
  else if (st.isCharacterDevice()) mode |= (1 << 26) | (1 << 21);
  else if (st.isBlockDevice()) mode |= 1 << 26;
  return mode >>> 0;
}

export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** Go's time.Time JSON (RFC 3339, fractional seconds only when not zero). */
function goTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/\.000Z$/, "Z")
    .replace(/(\.\d*?)0+Z$/, "$1Z");
}

export function pathStat(name: string, st: Stats, linkTarget: string): PathStat {
  return { name, size: st.size, mode: goFileMode(st), mtime: goTime(st.mtimeMs), linkTarget };
}

function major(rdev: number): number {
  return (rdev >> 8) & 0xfff;
}
function minor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
}

function addEntry(pack: tarStream.Pack, header: TarHeader, body?: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const entry = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    if (body) pipeline(body, entry).catch(reject);
    else entry.end(Buffer.alloc(0));
  });
}

/**
 * Writes `host` (file, link or directory tree, symlinks not followed) into `pack` under the
 * archive name `name` ("" = the directory's contents without an entry for itself).
 * `links` tracks inodes already written, so hard links stay hard links.
 */
export async function packTree(
  pack: tarStream.Pack,
  host: string,
  name: string,
  links: Map<string, string> = new Map(),
): Promise<void> {
  const st = await lstat(host);
  const header = (): TarHeader => ({
    name,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    mtime: st.mtime,
  });
  if (st.isDirectory()) {
    if (name !== "") await addEntry(pack, { ...header(), name: `${name}/`, type: "directory" });
    for (const child of (await readdir(host)).sort()) {
      await packTree(pack, join(host, child), name === "" ? child : `${name}/${child}`, links);
    }
  } else if (st.isFile()) {
    const key = `${st.dev}:${st.ino}`;
    const first = st.nlink > 1 ? links.get(key) : undefined;
    if (first !== undefined) {
      await addEntry(pack, { ...header(), type: "link", linkname: first, size: 0 });
    } else {
      if (st.nlink > 1) links.set(key, name);
      await addEntry(pack, { ...header(), type: "file", size: st.size }, createReadStream(host));
    }
  } else if (st.isSymbolicLink()) {
    await addEntry(pack, { ...header(), type: "symlink", linkname: await readlink(host) });
  } else if (st.isFIFO()) {
    await addEntry(pack, { ...header(), type: "fifo" });
  } else if (st.isCharacterDevice() || st.isBlockDevice()) {
    await addEntry(pack, {
      ...header(),
      type: st.isCharacterDevice() ? "character-device" : "block-device",
      devmajor: major(st.rdev),
      devminor: minor(st.rdev),
    });
  }
}

/** A Node stream over a tar-stream pack filled by `fill`; errors end the stream with an error. */
export function tarOf(fill: (pack: tarStream.Pack) => Promise<void>): Readable {
  const pack = tarStream.pack();
  const out = new PassThrough();
  pack.pipe(out);
  pack.on("error", () => undefined); // forwarded to `out` below
  fill(pack)
    .then(() => pack.finalize())
    .catch((err: unknown) => {
      pack.destroy(err as Error);
      out.destroy(err as Error);
    });
  return out;
}

/** Hard link targets are archive paths: they must not climb out of the extraction root. */
function hardLinkInside(target: string): boolean {
  const norm = posix.normalize(target.replace(/^\/+/, ""));
  return norm !== ".." && !norm.startsWith("../");
}

/**
 * Extracts a (possibly compressed) tar into `dir`. Entries cannot leave `dir`: node-tar strips
 * absolute paths, refuses `..` and refuses to write through symlinks; hard links must point
 * inside; device nodes are refused. `owner` forces ownership (Docker's cp without -a: root).
 */
export async function extractInto(
  source: Readable,
  dir: string,
  opts: { owner?: { uid: number; gid: number } } = {},
): Promise<void> {
  let rejected: Error | undefined;
  const links = new DeferredLinks();
  const extract = tar.x({
    cwd: dir,
    // Warnings decide: a leading "/" is stripped (the entry lands inside `dir`, as with Docker);
    // anything else node-tar would skip (`..`, a broken archive) fails the extraction.
    strict: false,
    onwarn: (code, message, data) => {
      if (code === "TAR_ENTRY_INFO") return;
      const entry = typeof data?.path === "string" ? `${data.path}: ` : "";
      // Host paths stay out of the message: only the part under the target directory is shown.
      rejected ??= new UnsafeLayerError(`${entry}${message}`.replaceAll(`${dir}/`, "").replaceAll(dir, ""));
    },
    preserveOwner: opts.owner === undefined,
    ...(opts.owner ? { uid: opts.owner.uid, gid: opts.owner.gid } : {}),
    filter: (path, entry) => {
      const h = entry as TarEntryHeader;
      // The archive's own symlinks are made last: writing through one would drop the entry.
      const link = links.through(path);
      if (link !== undefined) {
        rejected ??= new UnsafeLayerError(
          `cannot extract ${path}: ${link} is a symbolic link in the archive`,
        );
        return false;
      }
      if (h.type === "SymbolicLink") {
        try {
          deferLink(links, path, h);
        } catch (err) {
          rejected ??= err as Error;
        }
        return false;
      }
      links.overwrittenBy(path);
      if (h.type === "Link" && !hardLinkInside(h.linkpath ?? "")) {
        rejected ??= new UnsafeLayerError(`hard link ${path} points outside the target: ${h.linkpath}`);
        return false;
      }
      if (h.type === "CharacterDevice" || h.type === "BlockDevice") {
        rejected ??= new UnsafeLayerError(`device node ${path} is not allowed here`);
        return false;
      }
      return true;
    },
  });
  try {
    await pipeline(await decompress(source), extract);
  } catch (err) {
    throw new InvalidParameterError(`failed to extract archive: ${(err as Error).message}`);
  }
  if (rejected) throw new InvalidParameterError(rejected.message);
  try {
    await links.create(dir, { preserveOwner: opts.owner === undefined, owner: opts.owner });
  } catch (err) {
    throw new InvalidParameterError(`failed to extract archive: ${(err as Error).message}`);
  }
}
