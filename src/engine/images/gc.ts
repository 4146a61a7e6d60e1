// Garbage collection of the image store. The database is the source of truth: deletions remove
// rows first and files after, and a write makes files visible before the row that refers to
// them, so a crash at any point leaves at worst unreferenced files — which this sweep removes.
// Never touched: anything a row refers to, the layers containers and builds sit on (see
// layer-users.ts), container snapshots, and (while a pull, build or load holds a lease) layers
// and blobs not referenced yet.
import { readdir, readlink, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Database } from "../../store/db.ts";
import { log } from "../../util/log.ts";
import type { ContentStore } from "../content/store.ts";
import type { Snapshotter } from "../snapshots/snapshotter.ts";
import type { LayerRow } from "./layers.ts";
import type { ImageService } from "./service.ts";

export interface GcResult {
  layers: number;
  snapshots: number;
  blobs: number;
}

export interface GcDeps {
  db: Database;
  content: ContentStore;
  snapshots: Snapshotter;
  images: ImageService;
  /** IDs of containers whose snapshot directories must stay. */
  containerIds: () => Iterable<string>;
}

/**
 * Removes layers no image reaches, blobs nothing refers to and, when `sweepDirs` is set (at
 * start-up, when no build or unpack can be under way), snapshot directories and short links
 * without a row.
 */
export async function collectGarbage(deps: GcDeps, opts: { sweepDirs: boolean }): Promise<GcResult> {
  const result: GcResult = { layers: 0, snapshots: 0, blobs: 0 };
  if (deps.images.leased()) return result;
  const images = deps.images.all();
  const reachable = new Set<string>();
  const layers = deps.db.sql.prepare("SELECT * FROM layers").all() as unknown as LayerRow[];
  const byChain = new Map(layers.map((l) => [l.chain_id, l]));
  const reach = (from: LayerRow | undefined) => {
    for (
      let cur = from;
      cur && !reachable.has(cur.chain_id);
      cur = cur.parent ? byChain.get(cur.parent) : undefined
    )
      reachable.add(cur.chain_id);
  };
  for (const image of images) for (const id of image.layers) reach(byChain.get(id));
  // Layers containers and builds sit on stay even when no image names them any more.
  const inUse = deps.images.layersInUse();
  for (const l of layers) if (inUse.has(l.short)) reach(l);
  // Children before parents, so a parent is never removed while a child row names it.
  const doomed = layers.filter((l) => !reachable.has(l.chain_id));
  const depth = (l: LayerRow): number => {
    let n = 0;
    for (let cur: LayerRow | undefined = l; cur?.parent; cur = byChain.get(cur.parent)) n++;
    return n;
  };
  doomed.sort((a, b) => depth(b) - depth(a));
  for (const layer of doomed) {
    deps.db.sql.prepare("DELETE FROM layers WHERE chain_id = ?").run(layer.chain_id);
    await deps.snapshots.remove(layer.snapshot, layer.short);
    result.layers++;
  }

  const keptLayers = layers.filter((l) => reachable.has(l.chain_id));
  const blobs = new Set<string>();
  for (const l of keptLayers) blobs.add(l.blob);
  for (const image of images) {
    blobs.add(image.id);
    blobs.add(image.manifestDigest);
  }
  if (deps.images.leased()) return result;
  for (const hex of await readdir(join(deps.content.root, "blobs", "sha256")).catch(() => [])) {
    if (blobs.has(`sha256:${hex}`)) continue;
    await deps.content.delete(`sha256:${hex}`);
    result.blobs++;
  }

  if (opts.sweepDirs) {
    const keep = new Set<string>(["l", ...keptLayers.map((l) => l.snapshot), ...deps.containerIds()]);
    for (const name of await readdir(deps.snapshots.root)) {
      if (keep.has(name)) continue;
      await deps.snapshots.remove(name);
      result.snapshots++;
    }
    const shorts = new Set(keptLayers.map((l) => l.short));
    const linkDir = join(deps.snapshots.root, "l");
    for (const short of await readdir(linkDir)) {
      if (shorts.has(short)) continue;
      const target = await readlink(join(linkDir, short)).catch(() => "");
      log.debug("gc: removing short link", { short, target });
      await rm(join(linkDir, short), { force: true });
    }
  }
  if (result.layers + result.blobs + result.snapshots > 0)
    log.info("image store garbage collected", { ...result });
  return result;
}
