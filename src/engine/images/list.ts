// `GET /images/json`: which images Docker lists. Untagged images that are the parent of another
// image (a build's intermediate steps, a commit's base) are hidden unless `all` is asked for, and
// "dangling" means untagged with no child image — moby's daemon/images/images.go rules.
import { checkFilterKeys, FilterError, type Filters, matchAny, matchLabels } from "../../util/filters.ts";
import { pathMatcher } from "../../util/glob.ts";
import type { ImageRecord, ImageService } from "./service.ts";

export interface ListedImage {
  image: ImageRecord;
  labels: Record<string, string>;
  tags: string[];
  repoDigests: string[];
}

/**
 * Docker's `dangling` filter value: one of `truthy` or `falsy` must be among the values, else
 * "Invalid filter". When both are, the list checks "true" first and prune "false" first.
 */
export function danglingFilter(
  filters: Filters,
  opts: { fallback: boolean; truthy: string[]; falsy: string[]; falseFirst?: boolean },
): boolean {
  const values = filters.get("dangling");
  if (values === undefined) return opts.fallback;
  const isTrue = values.some((v) => opts.truthy.includes(v));
  const isFalse = values.some((v) => opts.falsy.includes(v));
  if (isTrue && !(opts.falseFirst && isFalse)) return true;
  if (isFalse) return false;
  throw new FilterError(`Invalid filter 'dangling=[${values.join(" ")}]'`);
}

/** Images with at least one child image (an image whose Parent they are). */
function parentIds(all: ImageRecord[]): Set<string> {
  return new Set(all.map((i) => i.parent).filter((p): p is string => p !== undefined));
}

export async function listImages(
  images: ImageService,
  opts: { all: boolean; filters: Filters },
): Promise<ListedImage[]> {
  const f = opts.filters;
  checkFilterKeys(f, ["dangling", "label", "reference", "before", "since"]);
  const danglingOnly = danglingFilter(f, { fallback: false, truthy: ["true"], falsy: ["false"] });
  const all = images.all();
  const withChildren = parentIds(all);
  // Compiled once per listing: each image's every tag and digest is tested against them.
  const refMatchers = f.get("reference")?.map(pathMatcher);
  const refMatches = (ref: string) => (refMatchers ?? []).some((matches) => familiarMatch(matches, ref));
  const out: ListedImage[] = [];
  for (const image of all) {
    const hasChildren = withChildren.has(image.id);
    if (danglingOnly && hasChildren) continue;
    if (!matchesTime(images, image, f)) continue;
    const labels = (await images.config(image.id)).config?.Labels ?? {};
    if (!matchLabels(f.get("label"), labels)) continue;
    // With a reference filter Docker lists only the matching tags and digests of an image.
    const matching = (refs: string[]) => (refMatchers ? refs.filter(refMatches) : refs);
    const tags = matching(images.tagsOf(image.id));
    const repoDigests = matching(images.repoDigestsOf(image));
    if (tags.length === 0 && repoDigests.length === 0) {
      // An untagged image: hidden while it is some image's parent, unless all=1.
      if (!opts.all && hasChildren) continue;
      if (f.has("dangling") && !danglingOnly) continue;
      if (f.has("reference")) continue;
    } else if (danglingOnly && tags.length > 0) {
      continue;
    }
    out.push({ image, labels, tags, repoDigests });
  }
  return out;
}

function matchesTime(images: ImageService, image: ImageRecord, f: Filters): boolean {
  return (
    matchAny(f.get("before"), (ref) => {
      const other = images.find(ref);
      return other !== undefined && Date.parse(image.created) < Date.parse(other.created);
    }) &&
    matchAny(f.get("since"), (ref) => {
      const other = images.find(ref);
      return other !== undefined && Date.parse(image.created) > Date.parse(other.created);
    })
  );
}

/**
 * moby's reference.FamiliarMatch: the pattern (path.Match rules) against "repo:tag" or
 * "repo@digest", or else against the bare repo name.
 */
function familiarMatch(matches: (s: string) => boolean, ref: string): boolean {
  const at = ref.indexOf("@");
  const name = at >= 0 ? ref.slice(0, at) : ref.slice(0, ref.lastIndexOf(":"));
  return matches(ref) || matches(name);
}
