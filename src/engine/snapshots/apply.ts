// Unpacks a layer tar into a snapshot directory. node-tar refuses absolute paths, `..` and
// extraction through symlinks; OCI whiteouts are turned into overlayfs whiteouts afterwards.
import { dirname, join, posix } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as tar from "tar";
import { run } from "../../platform/exec.ts";

const whiteoutPrefix = ".wh.";
const opaqueMarker = ".wh..wh..opq";

export interface ApplyResult {
  /** Bytes of regular file content unpacked. */
  size: number;
}

export async function applyLayer(source: Readable, dir: string): Promise<ApplyResult> {
  const whiteouts: string[] = [];
  let size = 0;
  const extract = tar.x({
    cwd: dir,
    preserveOwner: true,
    strict: true,
    noChmod: false,
    filter: (path, entry) => {
      const base = posix.basename(path);
      if (base.startsWith(whiteoutPrefix)) {
        whiteouts.push(path);
        return false;
      }
      const header = entry as { type?: string; size?: number };
      if (header.type === "File") size += header.size ?? 0;
      return true;
    },
  });
  await pipeline(source, extract);
  for (const path of whiteouts) {
    const base = posix.basename(path);
    const parent = join(dir, dirname(path));
    if (base === opaqueMarker) {
      await run("setfattr", ["-n", "trusted.overlay.opaque", "-v", "y", parent]);
    } else {
      await run("mknod", [join(parent, base.slice(whiteoutPrefix.length)), "c", "0", "0"]);
    }
  }
  return { size };
}
