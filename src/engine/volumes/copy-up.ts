// Copy-up: a new, empty volume mounted over a path the image has content at is first filled with
// that content, ownership, modes and times kept (Docker's copyExistingContents). Symlinks are
// copied as links and never followed, and the source path itself is resolved inside the
// container's root, so nothing outside the rootfs is ever read and nothing outside the volume
// is ever written. Hard links within the copied tree stay links; file capabilities and user.*
// attributes are kept.
import { constants, type Stats } from "node:fs";
import {
  chmod,
  copyFile,
  lchown,
  link,
  lstat,
  lutimes,
  mkdir,
  opendir,
  readdir,
  readlink,
  symlink,
  utimes,
} from "node:fs/promises";
import path from "node:path";
import { dumpXattrs, setXattr } from "../../platform/xattr.ts";

const MAX_SYMLINKS = 255;

/**
 * The host path of `containerPath` inside `root`, with symlinks resolved as the container would
 * see them (an absolute link target is relative to `root`, ".." stops at `root`). Returns
 * undefined when the path does not exist.
 */
export async function resolveInRoot(root: string, containerPath: string): Promise<string | undefined> {
  const pending = containerPath.split("/").filter((p) => p !== "" && p !== ".");
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === "..") {
      resolved.pop();
      continue;
    }
    const candidate = path.join(root, ...resolved, part);
    let st: Stats;
    try {
      st = await lstat(candidate);
    } catch {
      return undefined;
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) return undefined;
      const target = await readlink(candidate);
      if (target.startsWith("/")) resolved.length = 0;
      pending.unshift(...target.split("/").filter((p) => p !== "" && p !== "."));
      continue;
    }
    resolved.push(part);
  }
  return path.join(root, ...resolved);
}

async function isEmptyDir(dir: string): Promise<boolean> {
  const handle = await opendir(dir);
  try {
    return (await handle.read()) === null;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function copyMeta(dest: string, st: Stats, isLink: boolean): Promise<void> {
  await lchown(dest, st.uid, st.gid);
  if (isLink) {
    await lutimes(dest, st.atime, st.mtime).catch(() => undefined);
    return;
  }
  // chmod after chown: chown clears setuid/setgid bits.
  await chmod(dest, st.mode & 0o7777);
  await utimes(dest, st.atime, st.mtime);
}

/** First copy of each multiply-linked file (by device:inode), so its other names become links too. */
type LinkMap = Map<string, string>;

async function copyEntry(src: string, dest: string, st: Stats, links: LinkMap): Promise<void> {
  if (st.isSymbolicLink()) {
    await symlink(await readlink(src), dest);
    await copyMeta(dest, st, true);
  } else if (st.isDirectory()) {
    await mkdir(dest);
    await copyTree(src, dest, links);
    await copyMeta(dest, st, false);
  } else if (st.isFile()) {
    const key = `${st.dev}:${st.ino}`;
    const first = st.nlink > 1 ? links.get(key) : undefined;
    if (first !== undefined) {
      // Hard links stay hard links (both names are inside the volume, made by this copy).
      await link(first, dest);
      return;
    }
    if (st.nlink > 1) links.set(key, dest);
    // EXCL: never write through something that appeared at dest meanwhile.
    await copyFile(src, dest, constants.COPYFILE_EXCL);
    await copyMeta(dest, st, false);
  }
  // Device nodes, fifos and sockets are left out (an image volume holding those is rare).
}

async function copyTree(srcDir: string, destDir: string, links: LinkMap): Promise<void> {
  for (const entry of await readdir(srcDir, { withFileTypes: true })) {
    const src = path.join(srcDir, entry.name);
    const dest = path.join(destDir, entry.name);
    await copyEntry(src, dest, await lstat(src), links);
  }
}

/** The extended attributes images carry (as layers are unpacked): file capabilities, user.*. */
const IMAGE_XATTRS = "^(security\\.capability|user\\..*)$";

/**
 * Carries the image's extended attributes over, after every chown (a chown drops file
 * capabilities). Paths are those copyTree made, inside the volume.
 */
async function copyXattrs(srcRoot: string, destRoot: string): Promise<void> {
  for (const [file, attrs] of await dumpXattrs(srcRoot, IMAGE_XATTRS)) {
    const rel = path.relative(srcRoot, file);
    if (rel.startsWith("..") || path.isAbsolute(rel)) continue;
    const dest = path.join(destRoot, rel);
    // Only what copyTree made: device nodes, fifos and sockets are left out.
    const st = await lstat(dest).catch(() => undefined);
    if (!st || st.isSymbolicLink()) continue;
    for (const [name, value] of attrs) await setXattr(dest, name, value);
  }
}

/**
 * Copies the rootfs's content at `containerPath` into `volumeDir` if the volume is empty and the
 * image has a directory there. Returns whether anything was copied.
 */
export async function copyUp(rootfs: string, containerPath: string, volumeDir: string): Promise<boolean> {
  const src = await resolveInRoot(rootfs, containerPath);
  if (src === undefined) return false;
  const st = await lstat(src);
  if (!st.isDirectory()) return false;
  if (!(await isEmptyDir(volumeDir))) return false;
  await copyTree(src, volumeDir, new Map());
  await copyXattrs(src, volumeDir);
  // The volume's root takes the image directory's owner and mode too.
  await copyMeta(volumeDir, st, false);
  return true;
}
