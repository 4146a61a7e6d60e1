import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";

/** Apparent size in bytes of everything under `path` (not following symlinks). */
export async function diskUsage(path: string): Promise<number> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of await readdir(path)) total += await diskUsage(join(path, name));
  return total;
}
