// The mount a host path lives on and its propagation (shared:N / master:N peer groups), read
// from /proc/self/mountinfo as moby's getSourceMount does before honouring a bind's
// shared or slave propagation.
import { readFile, realpath } from "node:fs/promises";

export interface SourceMount {
  /** Where that filesystem is mounted. */
  mountPoint: string;
  /** Optional fields of the mount: "shared:N", "master:N", "propagate_from:N", "unbindable". */
  optional: string[];
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** Parses mountinfo lines into mount points with their optional fields (last mount first wins). */
export function parseMountinfo(text: string): SourceMount[] {
  const out: SourceMount[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const fields = line.split(" ");
    const sep = fields.indexOf("-", 6);
    if (sep < 0 || fields[4] === undefined) continue;
    out.push({ mountPoint: unescapeField(fields[4]), optional: fields.slice(6, sep) });
  }
  return out;
}

function contains(mountPoint: string, path: string): boolean {
  return mountPoint === "/" || path === mountPoint || path.startsWith(`${mountPoint}/`);
}

/**
 * The mount `path` (symlinks resolved) is on: the deepest mount point above it, the one mounted
 * last when several stack at the same place.
 */
export async function sourceMount(path: string, mountinfo?: string): Promise<SourceMount> {
  const real = await realpath(path);
  const mounts = parseMountinfo(mountinfo ?? (await readFile("/proc/self/mountinfo", "utf8")));
  let best: SourceMount | undefined;
  for (const m of mounts) {
    if (!contains(m.mountPoint, real)) continue;
    if (!best || m.mountPoint.length >= best.mountPoint.length) best = m;
  }
  if (!best) throw new Error(`could not find the mount of ${real}`);
  return { mountPoint: best.mountPoint, optional: best.optional };
}
