// Crash-safe file primitives: a file other readers may see is written to a temp name in the
// same directory, fsynced, renamed into place, and the directory is fsynced so the rename
// itself survives a power loss.
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";

/** Prefix of in-progress temp files; listings skip them and gc removes stale ones. */
export const TEMP_PREFIX = ".tmp-";

export function tempPathFor(target: string): string {
  return join(dirname(target), `${TEMP_PREFIX}${randomBytes(8).toString("hex")}`);
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(target);
  await mkdir(dir, { recursive: true });
  const temp = tempPathFor(target);
  const handle = await open(temp, "wx", 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await fsyncDir(dir);
}

/** Moves an already-fsynced file into place and makes the rename durable. */
export async function renameDurable(source: string, target: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  await rename(source, target);
  await fsyncDir(dirname(target));
}

export async function removeDurable(path: string): Promise<boolean> {
  try {
    await rm(path);
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
  await fsyncDir(dirname(path)).catch(() => undefined);
  return true;
}

export function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}

export function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}
