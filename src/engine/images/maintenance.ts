// History, prune and disk usage of images.
import { checkFilterKeys, FilterError, type Filters, matchLabels } from "../../util/filters.ts";
import { danglingFilter } from "./list.ts";
import type { ImageRecord, ImageService } from "./service.ts";

export interface HistoryEntry {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/** `GET /images/{name}/history`: newest first; IDs of local parent images where known. */
export async function imageHistory(images: ImageService, name: string): Promise<HistoryEntry[]> {
  const image = images.resolve(name);
  const config = await images.config(image.id);
  const history = config.history ?? [];
  const ids = new Map<number, ImageRecord>();
  for (
    let cur: ImageRecord | undefined = image;
    cur;
    cur = cur.parent ? images.find(cur.parent) : undefined
  ) {
    const n = (await images.config(cur.id)).history?.length ?? 0;
    if (n > 0 && !ids.has(n - 1)) ids.set(n - 1, cur);
  }
  if (history.length === 0) ids.set(0, image);
  const layers = images.layersOf(image);
  let layer = 0;
  const entries: HistoryEntry[] = (history.length > 0 ? history : [{}]).map((h, i) => {
    const empty = (h as { empty_layer?: boolean }).empty_layer === true;
    const size = empty ? 0 : (layers[layer++]?.size ?? 0);
    const owner = ids.get(i);
    const tags = owner ? images.tagsOf(owner.id) : [];
    return {
      Id: owner ? owner.id : "<missing>",
      Created:
        Math.floor(Date.parse((h as { created?: string }).created ?? config.created ?? "") / 1000) || 0,
      CreatedBy: (h as { created_by?: string }).created_by ?? "",
      Tags: tags.length > 0 ? tags : null,
      Size: size,
      Comment: (h as { comment?: string }).comment ?? "",
    };
  });
  return entries.reverse();
}

/** Docker's `until` filter: a unix timestamp, an RFC 3339 date, or a Go duration before now. */
export function parseUntil(value: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const duration = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(value);
  if (duration && value !== "") {
    const [, h = "0", m = "0", s = "0"] = duration;
    return now - (Number(h) * 3600 + Number(m) * 60 + Number(s)) * 1000;
  }
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new FilterError(`failed to parse value as time or duration: "${value}"`);
  return t;
}

export interface PruneResult {
  ImagesDeleted: Array<Record<string, string>> | null;
  SpaceReclaimed: number;
}

/** `POST /images/prune`: dangling images (or all unused with dangling=false), leaves first. */
export async function pruneImages(images: ImageService, filters: Filters): Promise<PruneResult> {
  checkFilterKeys(filters, ["dangling", "until", "label", "label!"]);
  const danglingOnly = danglingFilter(filters, {
    fallback: true,
    truthy: ["true", "1"],
    falsy: ["false", "0"],
    falseFirst: true,
  });
  const until = filters.get("until")?.map((u) => parseUntil(u));
  const before = images.layersSize();
  const deleted: Array<Record<string, string>> = [];
  const matches = async (image: ImageRecord): Promise<boolean> => {
    if (images.usersOf(image.id).length > 0) return false;
    if (danglingOnly && images.tagsOf(image.id).length > 0) return false;
    if (until && !until.every((u) => Date.parse(image.created) < u)) return false;
    const labels = (await images.config(image.id)).config?.Labels ?? {};
    if (!matchLabels(filters.get("label"), labels)) return false;
    const notLabels = filters.get("label!");
    if (notLabels?.some((l) => matchLabels([l], labels))) return false;
    return true;
  };
  for (let changed = true; changed; ) {
    changed = false;
    const all = images.all();
    const parents = new Set(all.map((i) => i.parent).filter((p): p is string => p !== undefined));
    for (const image of all) {
      if (parents.has(image.id) || !(await matches(image))) continue;
      deleted.push(...(await images.remove(image.id, { force: true, prune: true })));
      changed = true;
    }
  }
  await images.collectGarbage(false);
  return {
    ImagesDeleted: deleted.length > 0 ? deleted : null,
    SpaceReclaimed: Math.max(0, before - images.layersSize()),
  };
}

export interface ImageUsage {
  image: ImageRecord;
  sharedSize: number;
  containers: number;
}

/** Per-image shared size (bytes of layers other images use too) for `GET /system/df`. */
export function imageDiskUsage(images: ImageService): { layersSize: number; images: ImageUsage[] } {
  const all = images.all();
  const uses = new Map<string, number>();
  for (const image of all) for (const l of image.layers) uses.set(l, (uses.get(l) ?? 0) + 1);
  return {
    layersSize: images.layersSize(),
    images: all.map((image) => ({
      image,
      sharedSize: images
        .layersOf(image)
        .filter((l) => (uses.get(l.chain_id) ?? 0) > 1)
        .reduce((sum, l) => sum + l.size, 0),
      containers: images.usersOf(image.id).length,
    })),
  };
}
