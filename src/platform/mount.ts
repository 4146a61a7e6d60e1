// Overlay mounts for container root filesystems.
import { readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { run } from "./exec.ts";
import { libc } from "./libc.ts";

const MS_RDONLY = 1;

/**
 * Mounts an overlay at `target`. `lowerDirs` are relative to `cwd` (short links), which keeps
 * the option string inside the kernel's one-page limit even for deep images.
 */
export async function mountOverlay(opts: {
  target: string;
  lowerDirs: string[];
  upperDir?: string;
  workDir?: string;
  cwd: string;
  readonly?: boolean;
}): Promise<void> {
  let data = `lowerdir=${opts.lowerDirs.join(":")}`;
  if (opts.upperDir && opts.workDir) data += `,upperdir=${opts.upperDir},workdir=${opts.workDir}`;
  if (data.length >= 4093) throw new Error(`overlay mount options too long (${data.length} bytes)`);
  // mount(2) in-process saves spawning mount(8); errno is not read, so when there is no FFI or
  // the kernel refuses, the tool runs and says why in words.
  const c = libc();
  const flags = BigInt(opts.readonly ? MS_RDONLY : 0);
  if (c && mountIn(opts.cwd, () => c.mount("overlay", opts.target, "overlay", flags, data) === 0)) return;
  const toolOptions = opts.readonly ? `ro,${data}` : data;
  await run("mount", ["-t", "overlay", "overlay", "-o", toolOptions, opts.target], { cwd: opts.cwd });
}

/**
 * Runs a synchronous mount call with `cwd` as the working directory (the overlay's short
 * lowerdir links are relative to it) and changes back before any other code runs.
 */
function mountIn(cwd: string, call: () => boolean): boolean {
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    return call();
  } finally {
    process.chdir(previous);
  }
}

const MS_NOSUID = 2;
const MS_NODEV = 4;
const MS_NOEXEC = 8;

/** A nosuid, nodev, noexec tmpfs at `target` with these data options ("mode=1777,size=…"). */
export async function mountTmpfs(target: string, data: string): Promise<void> {
  const c = libc();
  const flags = BigInt(MS_NOSUID | MS_NODEV | MS_NOEXEC);
  if (c && c.mount("shm", target, "tmpfs", flags, data) === 0) return;
  await run("mount", ["-t", "tmpfs", "-o", `nosuid,nodev,noexec,${data}`, "shm", target]);
}

export function isMounted(target: string): boolean {
  const escaped = target.replace(/ /g, "\\040");
  return readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .some((line) => line.split(" ")[1] === escaped);
}

/**
 * Whether another filesystem is mounted on the directory `target` (its device differs from its
 * parent's): cheaper than reading the mount table, and right for overlay and tmpfs mounts, not
 * for a bind mount within one filesystem (use isMounted for those).
 */
export function isMountPoint(target: string): boolean {
  try {
    return statSync(target).dev !== statSync(dirname(target)).dev;
  } catch {
    return false;
  }
}

/**
 * Unmounts `target` if it is mounted; falls back to a lazy unmount when it is busy. Through
 * umount(8), not umount2 in-process: unmounting an overlay syncs its upper filesystem, which can
 * take seconds after heavy writes and must not stall the daemon's event loop.
 */
export async function unmount(target: string): Promise<void> {
  if (!isMounted(target)) return;
  try {
    await run("umount", [target]);
  } catch {
    await run("umount", ["-l", target]);
  }
}
