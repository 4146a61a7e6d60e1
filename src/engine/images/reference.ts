// Image references as Docker parses them: [domain/]path[:tag][@digest], with docker.io and
// library/ implied for familiar names ("busybox" = "docker.io/library/busybox:latest").
import { InvalidParameterError } from "../errors.ts";

export const defaultDomain = "docker.io";
const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$/;
const tagPattern = /^[\w][\w.-]{0,127}$/;
const digestPattern = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

export interface Reference {
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
}

export function parseReference(input: string, opts: { defaultTag?: boolean } = {}): Reference {
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestPattern.test(digest)) throw new InvalidParameterError(`invalid reference format: ${input}`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagPattern.test(tag)) throw new InvalidParameterError(`invalid reference format: ${input}`);
  }
  let domain = defaultDomain;
  const slash = rest.indexOf("/");
  const first = slash >= 0 ? rest.slice(0, slash) : "";
  if (slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    domain = first;
    rest = rest.slice(slash + 1);
  }
  if (domain === defaultDomain && !rest.includes("/")) rest = `library/${rest}`;
  if (rest === "" || !rest.split("/").every((c) => pathComponent.test(c))) {
    const upper = /[A-Z]/.test(input) ? ": repository name must be lowercase" : "";
    throw new InvalidParameterError(`invalid reference format${upper}: ${input}`);
  }
  if (!tag && !digest && opts.defaultTag !== false) tag = "latest";
  return { domain, path: rest, tag, digest };
}

/** The repository as Docker shows it: "busybox", "foo/bar", "127.0.0.1:5000/x". */
export function familiarName(ref: Reference): string {
  if (ref.domain === defaultDomain) return ref.path.replace(/^library\//, "");
  return `${ref.domain}/${ref.path}`;
}

export function fullName(ref: Reference): string {
  return `${ref.domain}/${ref.path}`;
}

/** Canonical key for the tags table: "docker.io/library/busybox:latest". */
export function tagKey(ref: Reference): string {
  return `${fullName(ref)}:${ref.tag ?? "latest"}`;
}

/** "docker.io/library/busybox:latest" → "busybox:latest". */
export function familiarTag(key: string): string {
  const ref = parseReference(key);
  return `${familiarName(ref)}:${ref.tag}`;
}
