// Docker's filters of GET /containers/json and POST /containers/prune: the keys each accepts, the
// values it refuses (400 rather than a silently empty list — or, for prune, a silently wider
// deletion), and the matching rules of moby's daemon/list.go and daemon/prune.go.
import { checkFilterKeys, FilterError, type Filters, matchLabels } from "../../util/filters.ts";
import { parseUntil } from "../images/maintenance.ts";
import type { ImageRecord } from "../images/service.ts";

const listKeys = [
  "ancestor",
  "before",
  "exited",
  "expose",
  "health",
  "id",
  "is-task",
  "isolation",
  "label",
  "name",
  "network",
  "publish",
  "since",
  "status",
  "volume",
];
const states = ["created", "restarting", "running", "removing", "paused", "exited", "dead"];
const healthStates = ["starting", "healthy", "unhealthy", "none"];

/** Refuses what moby refuses: unknown keys, unknown states, non-numeric exit codes. */
export function checkListFilters(f: Filters): void {
  checkFilterKeys(f, listKeys);
  for (const s of f.get("status") ?? []) {
    if (!states.includes(s)) throw new FilterError(`invalid filter 'status=${s}'`);
  }
  for (const h of f.get("health") ?? []) {
    if (!healthStates.includes(h)) throw new FilterError(`invalid filter 'health=${h}'`);
  }
  for (const t of f.get("is-task") ?? []) {
    if (t !== "true" && t !== "false") throw new FilterError(`invalid filter 'is-task=${t}'`);
  }
  for (const e of f.get("exited") ?? []) {
    if (!/^[-+]?\d+$/.test(e)) throw new FilterError(`strconv.Atoi: parsing "${e}": invalid syntax`);
  }
}

/**
 * Go's filters.Args.Match: an exact value, or a regular expression found anywhere in the source;
 * a value that is not a valid expression matches nothing (it is not an error).
 */
export function regexpMatch(wanted: string[], source: string): boolean {
  return wanted.some((w) => {
    if (w === source) return true;
    try {
      return new RegExp(w).test(source);
    } catch {
      return false;
    }
  });
}

/** Docker matches the name filter against "/name" and "name" alike (`^/web$` and `^web$` both work). */
export function nameMatches(wanted: string[], name: string): boolean {
  return regexpMatch(wanted, `/${name}`) || regexpMatch(wanted, name);
}

/**
 * The image IDs an ancestor filter selects: each named image and every image built on it (moby
 * walks the children), so `ancestor=base` also lists containers of images made FROM base.
 */
export function ancestorImageIds(
  refs: string[],
  find: (ref: string) => ImageRecord | undefined,
  all: ImageRecord[],
): Set<string> {
  const ids = new Set<string>();
  for (const ref of refs) {
    const image = find(ref);
    if (image) ids.add(image.id);
  }
  for (let grew = ids.size > 0; grew; ) {
    grew = false;
    for (const image of all) {
      if (image.parent && ids.has(image.parent) && !ids.has(image.id)) {
        ids.add(image.id);
        grew = true;
      }
    }
  }
  return ids;
}

export interface PruneFilter {
  /** Whether a stopped container with these labels and creation time is pruned. */
  matches(labels: Record<string, string>, created: string): boolean;
}

/** POST /containers/prune's filters: label, label! and until, as moby's daemon/prune.go reads them. */
export function pruneFilter(f: Filters): PruneFilter {
  checkFilterKeys(f, ["label", "label!", "until"]);
  const until = f.get("until")?.map((u) => parseUntil(u));
  const notLabels = f.get("label!");
  return {
    matches(labels, created) {
      if (until && !until.every((u) => Date.parse(created) < u)) return false;
      if (!matchLabels(f.get("label"), labels)) return false;
      // moby: excluded only when the labels match every label! value (MatchKVList).
      if (notLabels && notLabels.length > 0 && matchLabels(notLabels, labels)) return false;
      return true;
    },
  };
}
