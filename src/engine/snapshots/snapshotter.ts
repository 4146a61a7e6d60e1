// Unpacked read-only layers and container writable layers, stacked with overlayfs:
//   snapshots/<id>/fs      the layer's files (a container's upper dir)
//   snapshots/<id>/work    overlay work dir (containers only)
//   snapshots/<id>/merged  the container's mounted root filesystem
//   snapshots/l/<short>    short links to fs dirs, so deep lowerdir lists fit in one mount call
import { randomBytes } from "node:crypto";
import { mkdir, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { isMountPoint, mountOverlay, unmount } from "../../platform/mount.ts";
import { type Change, changes, diffTar, hasChanges } from "./diff.ts";

export interface ContainerRootfs {
  merged: string;
  upper: string;
}

export class Snapshotter {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  async init(): Promise<void> {
    await mkdir(join(this.root, "l"), { recursive: true });
  }

  fsDir(id: string): string {
    return join(this.root, id, "fs");
  }

  /** Creates an empty layer directory; returns the short link name used in lowerdir lists. */
  async createLayer(id: string): Promise<string> {
    await rm(join(this.root, id), { recursive: true, force: true });
    await mkdir(this.fsDir(id), { recursive: true, mode: 0o755 });
    const short = randomBytes(8).toString("hex");
    await symlink(join("..", id, "fs"), join(this.root, "l", short));
    return short;
  }

  /** Prepares a container's writable layer (nothing is mounted yet). */
  async createContainerLayer(id: string): Promise<ContainerRootfs> {
    const dir = join(this.root, id);
    await mkdir(join(dir, "fs"), { recursive: true, mode: 0o755 });
    await mkdir(join(dir, "work"), { recursive: true, mode: 0o700 });
    await mkdir(join(dir, "merged"), { recursive: true, mode: 0o755 });
    return { merged: join(dir, "merged"), upper: join(dir, "fs") };
  }

  /** Mounts a container's root: `lowerShorts` lists the image's layers, topmost first. */
  async mountContainer(id: string, lowerShorts: string[]): Promise<string> {
    const merged = join(this.root, id, "merged");
    if (isMountPoint(merged)) return merged;
    await mountOverlay({
      target: merged,
      lowerDirs: lowerShorts.map((s) => `l/${s}`),
      upperDir: join(id, "fs"),
      workDir: join(id, "work"),
      cwd: this.root,
    });
    return merged;
  }

  async unmountContainer(id: string): Promise<void> {
    const merged = join(this.root, id, "merged");
    if (isMountPoint(merged)) await unmount(merged);
  }

  isContainerMounted(id: string): boolean {
    return isMountPoint(join(this.root, id, "merged"));
  }

  /**
   * API for commit/build: the OCI layer tar (whiteouts, opaque dirs, hard links) of an overlay
   * upper dir — `upperDir(containerId)` for a container — or of any plain directory.
   */
  diff(upperDir: string): Readable {
    return diffTar(upperDir);
  }

  /** Whether the diff of `upperDir` is empty (then commit adds no layer, as Docker). */
  async isEmpty(upperDir: string): Promise<boolean> {
    return !(await hasChanges(upperDir));
  }

  /** Docker's change list (kinds 0/1/2) of an upper dir over `lowerDirs` (topmost first). */
  changes(upperDir: string, lowerDirs: string[]): Promise<Change[]> {
    return changes(upperDir, lowerDirs);
  }

  /** A container's writable layer (overlay upper dir). */
  upperDir(containerId: string): string {
    return this.fsDir(containerId);
  }

  /** Removes a snapshot (and its short link, if given). Unmounts first so nothing leaks. */
  async remove(id: string, short?: string): Promise<void> {
    // The mount table, not isMountPoint: a mount that cannot be stat'ed must not be rm'ed through.
    await unmount(join(this.root, id, "merged"));
    if (short) await rm(join(this.root, "l", short), { force: true });
    // maxRetries: a failed unpack may still be closing files in the directory.
    await rm(join(this.root, id), { recursive: true, force: true, maxRetries: 5 });
  }
}
