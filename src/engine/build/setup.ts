// Wiring for the builder: its cache table, its temp dir for contexts (under the data root, so
// big contexts do not fill /run's tmpfs; emptied at start-up), and the services it drives.
import { mkdir, readdir, readlink, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Database } from "../../store/db.ts";
import type { ContainerService } from "../containers/service.ts";
import type { ImageService } from "../images/service.ts";
import type { Snapshotter } from "../snapshots/snapshotter.ts";
import { Builder } from "./builder.ts";
import { BuildCache } from "./cache.ts";
import { CacheMounts } from "./run-mounts.ts";

export async function createBuilder(deps: {
  db: Database;
  images: ImageService;
  containers: ContainerService;
  snapshots: Snapshotter;
  dataRoot: string;
}): Promise<{ builder: Builder; tmpDir: string }> {
  const tmpDir = join(deps.dataRoot, "build", "tmp");
  await rm(tmpDir, { recursive: true, force: true });
  await removeStaleLayers(deps.snapshots);
  await mkdir(tmpDir, { recursive: true, mode: 0o700 });
  const cacheMounts = new CacheMounts(join(deps.dataRoot, "build", "cache-mounts"));
  await cacheMounts.removeStalePrivate();
  const builder = new Builder({
    images: deps.images,
    containers: deps.containers,
    snapshots: deps.snapshots,
    cache: new BuildCache(deps.db),
    tmpDir,
    cacheMounts,
  });
  return { builder, tmpDir };
}

/** COPY's temporary layers ("build-…") left by a daemon that stopped mid-build. */
async function removeStaleLayers(snapshots: Snapshotter): Promise<void> {
  for (const name of await readdir(snapshots.root)) {
    if (name.startsWith("build-")) await snapshots.remove(name);
  }
  const links = join(snapshots.root, "l");
  for (const short of await readdir(links).catch(() => [] as string[])) {
    const target = await readlink(join(links, short)).catch(() => "");
    if (target.startsWith("../build-")) await rm(join(links, short), { force: true });
  }
}
