// The host's device nodes, for privileged containers: Docker gives them every char and block
// device under /dev (runc's devices.HostDevices), skipping the directories the runtime mounts
// itself and the console, which the runtime sets up on its own.
import type { BigIntStats } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

export interface HostDevice {
  type: "c" | "b";
  path: string;
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

const skippedDirs = new Set(["pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"]);
const S_IFMT = 0o170000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;

/** Linux's major()/minor() of a dev_t (glibc's encoding, 12+20 bits each side). */
function split(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

export async function hostDevices(root = "/dev"): Promise<HostDevice[]> {
  const out: HostDevice[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        if (!skippedDirs.has(e.name)) await walk(path);
        continue;
      }
      if (path === "/dev/console" || !(e.isCharacterDevice() || e.isBlockDevice())) continue;
      const st = await stat(path, { bigint: true }).catch(() => undefined);
      const device = st && deviceOf(path, st);
      if (device) out.push(device);
    }
  };
  await walk(root);
  return out;
}

/**
 * The device node at `path`, or every one under it when it is a directory (Docker's --device
 * takes both). Throws ENOENT when nothing is there, or a plain error for a file that is no device.
 */
export async function devicesAt(path: string): Promise<HostDevice[]> {
  const st = await stat(path, { bigint: true });
  if (st.isDirectory()) return hostDevices(path);
  const device = deviceOf(path, st);
  if (!device) throw new Error("not a device node");
  return [device];
}

function deviceOf(path: string, st: BigIntStats): HostDevice | undefined {
  const format = Number(st.mode) & S_IFMT;
  if (format !== S_IFCHR && format !== S_IFBLK) return undefined;
  return {
    type: format === S_IFCHR ? "c" : "b",
    path,
    ...split(st.rdev),
    fileMode: Number(st.mode) & 0o7777,
    uid: Number(st.uid),
    gid: Number(st.gid),
  };
}
