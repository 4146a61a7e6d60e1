// Symlink entries of layer and cp tars, created by us rather than node-tar: node-tar treats a
// link's target as a host path (it strips a leading "/" and refuses targets with ".."), but in an
// image a target is data, resolved later inside the container's root. The link itself must
// still be created inside the root: its parent directories may not be symlinks.
import { lchown, lstat, lutimes, mkdir, rm, symlink } from "node:fs/promises";
import { join, posix } from "node:path";

export interface DeferredLink {
  target: string;
  uid?: number;
  gid?: number;
  mtime?: Date;
}

export class UnsafePathError extends Error {}

/** Normalises a tar entry path; null when it climbs out of the root. */
export function entryPath(name: string): string | null {
  const norm = posix.normalize(name.replace(/^\/+/, "")).replace(/\/+$/, "");
  if (norm === ".." || norm.startsWith("../") || norm === "." || norm === "") return null;
  return norm;
}

/** Symlink entries seen while extracting, in archive order ("last entry wins" is kept). */
export class DeferredLinks {
  private readonly links = new Map<string, DeferredLink>();

  add(name: string, link: DeferredLink): void {
    const path = entryPath(name);
    if (path === null) throw new UnsafePathError(`symlink ${name} is outside the root`);
    this.links.delete(path);
    this.links.set(path, link);
  }

  /** A later non-link entry at the same path replaces the link. */
  overwrittenBy(name: string): void {
    const path = entryPath(name);
    if (path !== null) this.links.delete(path);
  }

  /** The link of this archive an entry would be written through (its parent is one), if any. */
  through(name: string): string | undefined {
    const path = entryPath(name);
    if (path === null) return undefined;
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join("/");
      if (this.links.has(prefix)) return prefix;
    }
    return undefined;
  }

  get size(): number {
    return this.links.size;
  }

  async create(
    root: string,
    opts: { preserveOwner: boolean; owner?: { uid: number; gid: number } },
  ): Promise<void> {
    for (const [path, link] of this.links) {
      const parts = path.split("/");
      let cur = root;
      for (const part of parts.slice(0, -1)) {
        cur = join(cur, part);
        const st = await lstat(cur).catch(() => undefined);
        if (!st) await mkdir(cur, { mode: 0o755 });
        else if (!st.isDirectory())
          throw new UnsafePathError(`cannot create ${path}: ${part} is not a directory`);
      }
      const abs = join(root, path);
      const existing = await lstat(abs).catch(() => undefined);
      if (existing) await rm(abs, { recursive: true, force: true });
      await symlink(link.target, abs);
      const owner =
        opts.owner ?? (opts.preserveOwner ? { uid: link.uid ?? 0, gid: link.gid ?? 0 } : undefined);
      if (owner) await lchown(abs, owner.uid, owner.gid);
      if (link.mtime) await lutimes(abs, link.mtime, link.mtime).catch(() => undefined);
    }
  }
}
