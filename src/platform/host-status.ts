// Live host figures behind /info and /version that Docker reads from the kernel and from its
// helper binaries: the data root's filesystem, forwarding and bridge-netfilter switches, the
// daemon's open descriptors, and the versions runc, crun and tini report.
import { readdirSync, readFileSync, statfsSync } from "node:fs";
import { execFile } from "./exec.ts";

/** statfs magic numbers of the filesystems overlay2 runs on, by Docker's names for them. */
const filesystems: Record<number, string> = {
  61267: "extfs",
  1481003842: "xfs",
  2435016766: "btrfs",
  16914836: "tmpfs",
  801189825: "zfs",
  4076150800: "f2fs",
  2035054128: "overlayfs",
  1702057286: "fuse",
};

/** Docker's "Backing Filesystem" of a directory (ext4 is reported as "extfs", as Docker does). */
export function backingFilesystem(path: string): string {
  try {
    const type = statfsSync(path).type;
    return filesystems[type] ?? `0x${type.toString(16)}`;
  } catch {
    return "<unknown>";
  }
}

/** A /proc/sys switch that reads "1"; false when it is off or absent (br_netfilter not loaded). */
export function sysctlOn(name: string): boolean {
  try {
    return readFileSync(`/proc/sys/${name.replaceAll(".", "/")}`, "utf8").trim() === "1";
  } catch {
    return false;
  }
}

/** Open file descriptors of this process (Docker's NFd). */
export function openFds(): number {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return 0;
  }
}

export interface ToolVersion {
  version: string;
  commit: string;
}

/**
 * `<tool> --version`, parsed: runc and crun print "runc version 1.1.5" then "commit: …"; tini
 * prints "tini version 0.19.0 - git.de40ad0". Empty strings when the tool cannot tell.
 */
export async function toolVersion(path: string): Promise<ToolVersion> {
  try {
    const { code, stdout } = await execFile(path, ["--version"]);
    if (code !== 0) return { version: "", commit: "" };
    const version = /version\s+(\S+)/.exec(stdout)?.[1] ?? "";
    const commit = /^commit:\s*(\S+)/m.exec(stdout)?.[1] ?? /git\.([0-9a-f]+)/.exec(stdout)?.[1] ?? "";
    return { version, commit };
  } catch {
    return { version: "", commit: "" };
  }
}
