// A bind asking for shared or slave propagation only gets it when its source is on a mount that
// propagates: Docker refuses to start the container otherwise (moby's ensureShared and
// ensureSharedOrSlave), instead of handing out a mount that silently propagates nothing.
import { sourceMount } from "../../platform/mountinfo.ts";
import { EngineError } from "../errors.ts";

const needsShared = new Set(["shared", "rshared"]);
const needsSharedOrSlave = new Set(["slave", "rslave"]);

export async function checkBindPropagation(source: string, propagation: string): Promise<void> {
  if (!needsShared.has(propagation) && !needsSharedOrSlave.has(propagation)) return;
  const { mountPoint, optional } = await sourceMount(source);
  const shared = optional.some((o) => o.startsWith("shared:"));
  const slave = optional.some((o) => o.startsWith("master:"));
  if (needsShared.has(propagation) && !shared) {
    throw new EngineError(`path ${source} is mounted on ${mountPoint} but it is not a shared mount`);
  }
  if (needsSharedOrSlave.has(propagation) && !shared && !slave) {
    throw new EngineError(`path ${source} is mounted on ${mountPoint} but it is not a shared or slave mount`);
  }
}
