// Content discovery: tags list and catalog (both paginated with n/last and a Link header),
// and the referrers API.
import { parseDigest } from "../digest.ts";
import { RegistryError } from "../errors.ts";
import { MediaType } from "../manifest/types.ts";
import type { HandlerContext } from "./context.ts";
import { sendJson } from "./respond.ts";
import { escapeName } from "./router.ts";

interface Page {
  items: string[];
  /** The Link header for the next page, when there is one. */
  link?: string;
}

/** Applies the spec's n/last pagination to a sorted list. */
export function paginate(
  all: string[],
  query: URLSearchParams,
  basePath: string,
  defaultLimit?: number,
): Page {
  const nText = query.get("n");
  let limit = defaultLimit;
  if (nText !== null && nText !== "") {
    if (!/^\d+$/.test(nText))
      throw new RegistryError("PAGINATION_NUMBER_INVALID", `invalid n: ${nText.slice(0, 50)}`);
    limit = Number(nText);
  }
  const last = query.get("last");
  const after = last === null || last === "" ? all : all.filter((item) => item > last);
  if (limit === undefined || after.length <= limit) return { items: after };
  const items = after.slice(0, limit);
  if (limit === 0) return { items };
  const next = new URLSearchParams({ n: String(limit), last: items[items.length - 1]! });
  return { items, link: `<${basePath}?${next.toString()}>; rel="next"` };
}

export async function listTags(ctx: HandlerContext, name: string): Promise<void> {
  const { storage } = ctx;
  if (!(await storage.repositories.exists(name))) {
    throw new RegistryError("NAME_UNKNOWN", undefined, { detail: { name } });
  }
  const tags = await storage.repositories.listTags(name);
  const page = paginate(tags, ctx.query, `/v2/${escapeName(name)}/tags/list`);
  sendJson(ctx.res, 200, { name, tags: page.items }, page.link ? { Link: page.link } : {});
}

export async function listCatalog(ctx: HandlerContext): Promise<void> {
  const names = await ctx.storage.repositories.listRepositories();
  const page = paginate(names, ctx.query, "/v2/_catalog", ctx.options.catalogPageSize);
  sendJson(ctx.res, 200, { repositories: page.items }, page.link ? { Link: page.link } : {});
}

export async function listReferrers(ctx: HandlerContext, name: string, digestText: string): Promise<void> {
  const subject = parseDigest(digestText);
  let manifests = await ctx.storage.repositories.listReferrers(name, subject);
  const headers: Record<string, string> = {};
  const artifactType = ctx.query.get("artifactType");
  if (artifactType !== null && artifactType !== "") {
    manifests = manifests.filter((d) => d.artifactType === artifactType);
    headers["OCI-Filters-Applied"] = "artifactType";
  }
  const body = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests };
  sendJson(ctx.res, 200, body, { ...headers, "Content-Type": MediaType.ociIndex });
}
