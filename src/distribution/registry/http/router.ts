// Maps a raw request path onto a registry endpoint. The path is matched as sent (never
// normalized, so "/../" cannot climb anywhere) and each segment is decoded on its own; the
// repository name is validated here, before any handler or storage sees it.
import { RegistryError } from "../errors.ts";
import { assertRepositoryName } from "../names.ts";

export type Route =
  | { kind: "base" }
  | { kind: "catalog" }
  | { kind: "tags"; name: string }
  | { kind: "manifest"; name: string; reference: string }
  | { kind: "blob"; name: string; digest: string }
  | { kind: "uploads"; name: string }
  | { kind: "upload"; name: string; id: string }
  | { kind: "referrers"; name: string; digest: string };

export const ALLOWED_METHODS: Record<Route["kind"], readonly string[]> = {
  base: ["GET", "HEAD"],
  catalog: ["GET"],
  tags: ["GET"],
  manifest: ["GET", "HEAD", "PUT", "DELETE"],
  blob: ["GET", "HEAD", "DELETE"],
  uploads: ["POST"],
  upload: ["GET", "PATCH", "PUT", "DELETE"],
  referrers: ["GET"],
};

const PATTERNS: [RegExp, (name: string, arg: string) => Route][] = [
  [/^(.+)\/tags\/list$/, (name) => ({ kind: "tags", name })],
  [/^(.+)\/manifests\/([^/]+)$/, (name, reference) => ({ kind: "manifest", name, reference })],
  [/^(.+)\/blobs\/uploads\/?$/, (name) => ({ kind: "uploads", name })],
  [/^(.+)\/blobs\/uploads\/([^/]+)$/, (name, id) => ({ kind: "upload", name, id })],
  [/^(.+)\/blobs\/([^/]+)$/, (name, digest) => ({ kind: "blob", name, digest })],
  [/^(.+)\/referrers\/([^/]+)$/, (name, digest) => ({ kind: "referrers", name, digest })],
];

/** The route for a path, or undefined when the path is not a registry endpoint. */
export function matchRoute(path: string): Route | undefined {
  if (path === "/v2" || path === "/v2/") return { kind: "base" };
  if (path === "/v2/_catalog") return { kind: "catalog" };
  if (!path.startsWith("/v2/")) return undefined;
  const rest = path.slice(4);
  for (const [pattern, build] of PATTERNS) {
    const match = rest.match(pattern);
    if (!match) continue;
    const name = match[1]!.split("/").map(decodeSegment).join("/");
    assertRepositoryName(name);
    return build(name, decodeSegment(match[2] ?? ""));
  }
  return undefined;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new RegistryError("NAME_INVALID", "malformed percent-encoding in path");
  }
}

/** Splits a request URL into its raw path and query without resolving dot segments. */
export function splitUrl(url: string): { path: string; query: URLSearchParams } {
  const q = url.indexOf("?");
  return q < 0
    ? { path: url, query: new URLSearchParams() }
    : { path: url.slice(0, q), query: new URLSearchParams(url.slice(q + 1)) };
}

export function escapeName(name: string): string {
  return name
    .split("/")
    .map((c) => encodeURIComponent(c))
    .join("/");
}
