// IpcMode "shareable": the container's /dev/shm is a tmpfs mounted on the host, in its bundle
// directory, so a container joining its IPC namespace (IpcMode "container:<id>") binds the same
// one, as Docker does. A mount inside the container could not be shared: the kernel refuses to
// bind a mount that lives in another mount namespace.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { isMountPoint, mountTmpfs, unmount } from "../../platform/mount.ts";

export const sharedShmPath = (bundle: string): string => join(bundle, "shm");

/** Mounts the shared /dev/shm (if it is not already) and returns its host path. */
export async function mountSharedShm(bundle: string, size: number): Promise<string> {
  const path = sharedShmPath(bundle);
  await mkdir(path, { recursive: true });
  if (!isMountPoint(path)) await mountTmpfs(path, `mode=1777,size=${size}`);
  return path;
}

/** Unmounts it; nothing to do for a container that never had one. */
export function unmountSharedShm(bundle: string): Promise<void> {
  return unmount(sharedShmPath(bundle));
}
