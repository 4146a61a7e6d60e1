// POST /build/prune as BuildKit answers it for the records wharf keeps: step cache entries
// (type "regular": a step key pointing at the image it made; no bytes of their own, the images
// are counted as images; "shared" while that image exists) and RUN cache mounts (type
// "exec.cachemount"). Every record not in use goes, as after `docker builder prune` with
// BuildKit (its records are copies apart from the images, so the next build starts cold);
// `all` would add BuildKit's internal and frontend records, which wharf does not have.
// Filters: id, type, until, inuse, shared, private, description. keep-storage (or
// reserved-space): the least recently used go first, until what is left fits.
import { checkFilterKeys, type Filters, matchAny } from "../../util/filters.ts";
import { parseUntil } from "../images/maintenance.ts";
import type { BuildCache } from "./cache.ts";
import type { BuildCacheRecord, CacheMounts } from "./run-mounts.ts";

export interface BuildPruneOptions {
  all: boolean;
  filters: Filters;
  /** Bytes of cache to keep (0: no limit, prune every match). */
  keepStorage: number;
}

interface Candidate {
  id: string;
  type: "regular" | "exec.cachemount";
  description: string;
  size: number;
  lastUsed: number;
  inUse: boolean;
  shared: boolean;
}

const allowedFilters = ["id", "type", "until", "inuse", "shared", "private", "description"];

const truthy = (v: string) => ["true", "1"].includes(v.toLowerCase());

export async function pruneBuildCache(
  deps: {
    cache: Pick<BuildCache, "entries" | "remove">;
    mounts: Pick<CacheMounts, "records" | "remove">;
    imageExists: (id: string) => boolean;
  },
  opts: BuildPruneOptions,
): Promise<{ removed: string[]; bytes: number }> {
  checkFilterKeys(opts.filters, allowedFilters);
  const until = opts.filters.get("until")?.map((u) => parseUntil(u));
  const records: Candidate[] = [
    ...deps.cache.entries().map((e) => {
      const shared = deps.imageExists(e.imageId);
      return {
        id: e.key,
        type: "regular" as const,
        description: `build step of ${e.imageId}`,
        size: 0,
        lastUsed: e.created,
        inUse: false,
        shared,
      };
    }),
    ...(await deps.mounts.records()).map((r: BuildCacheRecord) => ({
      id: r.ID,
      type: "exec.cachemount" as const,
      description: r.Description,
      size: r.Size,
      lastUsed: Date.parse(r.LastUsedAt ?? r.CreatedAt) || 0,
      inUse: r.InUse,
      shared: false,
    })),
  ];
  const f = opts.filters;
  const bool = (key: string, value: boolean) => matchAny(f.get(key), (w) => truthy(w) === value);
  const matches = (c: Candidate): boolean =>
    !c.inUse &&
    matchAny(f.get("id"), (w) => c.id === w || (w.length >= 3 && c.id.startsWith(w))) &&
    matchAny(f.get("type"), (w) => c.type === w) &&
    matchAny(f.get("description"), (w) => c.description.includes(w)) &&
    bool("inuse", c.inUse) &&
    bool("shared", c.shared) &&
    bool("private", !c.shared) &&
    (!until || until.every((u) => c.lastUsed < u));
  const candidates = records.filter(matches).sort((a, b) => a.lastUsed - b.lastUsed);
  let total = records.reduce((n, r) => n + r.size, 0);
  const removed: string[] = [];
  const steps: string[] = [];
  let bytes = 0;
  for (const c of candidates) {
    if (opts.keepStorage > 0 && total <= opts.keepStorage) break;
    if (c.type === "regular") {
      steps.push(c.id);
      removed.push(c.id);
      continue;
    }
    const freed = await deps.mounts.remove(c.id);
    if (freed === undefined) continue; // a RUN took it meanwhile
    removed.push(c.id);
    bytes += freed;
    total -= freed;
  }
  deps.cache.remove(steps);
  return { removed, bytes };
}
