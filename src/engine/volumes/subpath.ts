// Volume subpaths (--mount type=volume,volume-subpath=…, compose `volume.subpath`): only a part
// of a named volume is mounted. Checked twice as moby does: lexically when the container is
// created, and on the host when it starts (the path must exist and, symlinks followed, stay
// inside the volume).
import { realpath } from "node:fs/promises";
import path from "node:path/posix";
import { InvalidParameterError } from "../errors.ts";

/** The create-time check; returns the cleaned subpath. */
export function checkSubpath(subpath: string, anonymous: boolean): string {
  const fail = (detail: string) =>
    new InvalidParameterError(`invalid mount config for type "volume": ${detail}`);
  if (anonymous) throw fail("must not set Subpath when using anonymous volumes");
  const clean = path.normalize(subpath);
  if (path.isAbsolute(clean) || clean === ".." || clean.startsWith("../")) {
    throw fail("subpath must be a relative path within the volume");
  }
  return clean;
}

/**
 * The host path to bind for `subpath` of the volume whose data dir is `dataDir`. The volume's
 * own content may hold symlinks: the resolved path must still be inside the data dir.
 * (Like moby's safepath, minus its fd-pinned bind: a container running with the volume could
 * swap a directory for a symlink between this check and runc's mount.)
 */
export async function resolveSubpath(dataDir: string, subpath: string): Promise<string> {
  const full = path.join(dataDir, subpath);
  let real: string;
  try {
    real = await realpath(full);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file or directory" : (err as Error).message;
    throw new InvalidParameterError(`cannot access path ${full}: ${why}`);
  }
  const base = await realpath(dataDir);
  if (real !== base && !real.startsWith(`${base}/`)) {
    throw new InvalidParameterError(`cannot access path ${full}: path ${real} escapes the base ${base}`);
  }
  return real;
}
