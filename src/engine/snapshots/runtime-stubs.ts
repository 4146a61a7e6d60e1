// Mount points the runtime makes in a container's rw layer. runc creates a missing mount target
// (an empty file for /etc/hosts, /etc/hostname, /etc/resolv.conf; a directory for /proc, /sys,
// /dev and the parents of those) in the container's root, which is the overlay upper dir.
// Docker keeps these in a per-container "init" layer below the rw layer, so `docker diff` and
// `docker commit` never see them; wharf has no init layer, and leaves them out here instead.
// The user's own mount points (volumes, binds, tmpfs, --init) are not stubs: Docker lists them.
import type { Stats } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";

/** Docker's init layer files (daemon/initlayer): empty when the runtime made them. */
const stubFiles = ["etc/hosts", "etc/hostname", "etc/resolv.conf", ".dockerenv", "dev/console"];
/** Docker's init layer directories, children before parents. */
const stubDirs = ["dev/pts", "dev/shm", "dev", "proc", "sys", "etc"];
const initDirs = new Set(stubDirs);
/** Top-level names a stub can live under: anything else in an upper dir is a real change. */
export const runtimeStubRoots: ReadonlySet<string> = new Set(
  [...stubFiles, ...stubDirs].map((rel) => rel.split("/")[0] as string),
);

/**
 * Paths (relative, no leading slash) of `upper` that are only runtime mount-point stubs: the
 * init-layer files when empty, and the init-layer directories holding nothing but stubs.
 * `opaque` tells which directories are opaque (a user's rm -rf + mkdir: a real change).
 */
export async function runtimeStubs(upper: string, opaque: (abs: string) => boolean): Promise<Set<string>> {
  const stubs = new Set<string>();
  const stat = (rel: string): Promise<Stats | undefined> => lstat(join(upper, rel)).catch(() => undefined);
  for (const rel of stubFiles) {
    const st = await stat(rel);
    if (st?.isFile() && st.size === 0) stubs.add(rel);
  }
  for (const rel of stubDirs) {
    const abs = join(upper, rel);
    const st = await stat(rel);
    if (!st?.isDirectory() || opaque(abs)) continue;
    const names = await readdir(abs);
    if (names.every((name) => stubs.has(`${rel}/${name}`))) stubs.add(rel);
  }
  return stubs;
}

/** Whether `rel` is a directory Docker's init layer always has (so it is never "added"). */
export function isInitLayerDir(rel: string): boolean {
  return initDirs.has(rel);
}
