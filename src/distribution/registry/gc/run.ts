// `wharf registry gc`: collects inside the running server when there is one (through its
// admin socket), otherwise offline while holding the root lock so no server starts meanwhile.
import { stat } from "node:fs/promises";
import type { RegistryConfig } from "../config.ts";
import { RegistryLayout } from "../storage/layout.ts";
import { openRegistryStorage } from "../storage/registry-storage.ts";
import { acquireRootLock, RootBusyError } from "../storage/root-lock.ts";
import { requestGc } from "./admin.ts";
import { collectGarbage, type GcReport } from "./collector.ts";

export interface GcRun {
  report: GcReport;
  /** "server" when the running registry collected, "offline" when this process did. */
  via: "server" | "offline";
}

export async function runGc(
  config: RegistryConfig,
  options: { dryRun: boolean; graceMs: number },
): Promise<GcRun> {
  const layout = new RegistryLayout(config.root);
  if (!(await stat(config.root).catch(() => undefined))?.isDirectory()) {
    throw new Error(`registry root ${config.root} does not exist`);
  }
  let lock: ReturnType<typeof acquireRootLock>;
  try {
    lock = acquireRootLock(layout.lockFile, { pid: process.pid });
  } catch (err) {
    if (!(err instanceof RootBusyError)) throw err;
    if (!err.owner.admin) throw new Error(`another gc (pid ${err.owner.pid}) is running on ${config.root}`);
    const report = await requestGc(err.owner.admin, { dryRun: options.dryRun, graceMs: options.graceMs });
    return { report, via: "server" };
  }
  try {
    const storage = openRegistryStorage(config.root, { uploadExpiryMs: config.uploadExpiryMs });
    const report = await collectGarbage(storage, options);
    return { report, via: "offline" };
  } finally {
    lock.release();
  }
}
