// A bind asking for shared or slave propagation only gets it when its source is on a mount that
// propagates: Docker refuses to start the container otherwise (moby's ensureShared and
// ensureSharedOrSlave), instead of handing out a mount that silently propagates nothing.
import { type SourceMount, sourceMount } from "../../platform/mountinfo.ts";
import { EngineError } from "../errors.ts";

const needsShared = new Set(["shared", "rshared"]);
const needsSharedOrSlave = new Set(["slave", "rslave"]);

/**
 * Returns the propagation to mount with: the one asked for, or rprivate where the daemon chose
 * rslave itself (a bind of the data root) and the source cannot be a slave (moby's fallback).
 */
export async function checkBindPropagation(
  source: string,
  propagation: string,
  defaulted = false,
): Promise<string> {
  if (!needsShared.has(propagation) && !needsSharedOrSlave.has(propagation)) return propagation;
  let found: SourceMount;
  try {
    found = await sourceMount(source);
  } catch (err) {
    // A source gone since create: the runtime's mount reports it in its own words.
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return propagation;
    throw err;
  }
  const { mountPoint, optional } = found;
  const shared = optional.some((o) => o.startsWith("shared:"));
  const slave = optional.some((o) => o.startsWith("master:"));
  if (needsShared.has(propagation) && !shared) {
    throw new EngineError(`path ${source} is mounted on ${mountPoint} but it is not a shared mount`);
  }
  if (needsSharedOrSlave.has(propagation) && !shared && !slave) {
    if (defaulted) return "rprivate";
    throw new EngineError(`path ${source} is mounted on ${mountPoint} but it is not a shared or slave mount`);
  }
  return propagation;
}
