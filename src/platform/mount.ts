// Overlay mounts for container root filesystems.
import { readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { run } from "./exec.ts";
import { MS_RDONLY, sysMount } from "./syscalls.ts";

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
  if (opts.readonly) data = `ro,${data}`;
  if (data.length >= 4096) throw new Error(`overlay mount options too long (${data.length} bytes)`);
  const options = opts.readonly ? data.slice("ro,".length) : data;
  const flags = opts.readonly ? MS_RDONLY : 0;
  if (mountIn(opts.cwd, () => sysMount("overlay", opts.target, "overlay", flags, options))) return;
  // No FFI, or the kernel refused: the tool says why.
  await run("mount", ["-t", "overlay", "overlay", "-o", data, opts.target], { cwd: opts.cwd });
}

/**
 * Runs a synchronous mount call with `cwd` as the working directory (the overlay's short
 * lowerdir links are relative to it) and changes back before any other code runs.
 */
function mountIn(cwd: string, call: () => boolean | undefined): boolean | undefined {
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    return call();
  } finally {
    process.chdir(previous);
  }
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
