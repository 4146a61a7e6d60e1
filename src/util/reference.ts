// Image references exactly as Docker normalises them (distribution/reference
// ParseNormalizedNamed): "busybox" → docker.io/library/busybox:latest,
// "host:5000/ns/repo@sha256:…" keeps its host; docker.io is served by registry-1.docker.io.
// The one parser: the engine (engine/images/reference.ts), the CLI (cli/reference.ts) and the
// registry client all normalise through it.

export class InvalidReferenceError extends Error {
  readonly status = 400;
}

export interface ImageRef {
  /** Registry host as written ("docker.io", "127.0.0.1:5000", "[::1]:5000"). */
  domain: string;
  /** Repository path inside the registry ("library/busybox"). */
  path: string;
  tag?: string;
  digest?: string;
}

export const dockerHub = "docker.io";
/** Where docker.io's API really lives. */
export const dockerHubApiHost = "registry-1.docker.io";
/** The key docker uses for Hub credentials in config.json and serveraddress. */
export const dockerHubAuthKey = "https://index.docker.io/v1/";

const pathComponent = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domainPattern = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const tagPattern = "[\\w][\\w.-]{0,127}";
const digestPattern = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}";
const referenceRe = new RegExp(
  `^(?:(${domainPattern})/)?(${pathComponent}(?:/${pathComponent})*)(?::(${tagPattern}))?(?:@(${digestPattern}))?$`,
);
const hex64 = /^[a-f0-9]{64}$/;

/** Splits off the domain the way Docker does: a first component with "." or ":", or "localhost". */
function splitDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf("/");
  const first = slash >= 0 ? name.slice(0, slash) : "";
  if (slash < 0 || (!/[.:]/.test(first) && first !== "localhost" && first.toLowerCase() === first)) {
    return { domain: dockerHub, remainder: name };
  }
  return { domain: first === "index.docker.io" ? dockerHub : first, remainder: name.slice(slash + 1) };
}

/** reference.ParseNormalizedNamed; no default tag is added (see withDefaultTag). */
export function parseImageRef(input: string): ImageRef {
  if (hex64.test(input)) {
    throw new InvalidReferenceError(
      `invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`,
    );
  }
  const { domain, remainder: rest } = splitDomain(input);
  const remainder = domain === dockerHub && !rest.includes("/") ? `library/${rest}` : rest;
  const colon = remainder.indexOf(":");
  const remoteName = colon >= 0 ? remainder.slice(0, colon) : remainder;
  if (remoteName.toLowerCase() !== remoteName) {
    throw new InvalidReferenceError(
      `invalid reference format: repository name (${remoteName}) must be lowercase`,
    );
  }
  const m = referenceRe.exec(`${domain}/${remainder}`);
  if (!m || m[1] === undefined) throw new InvalidReferenceError("invalid reference format");
  const ref: ImageRef = { domain: m[1], path: m[2] as string };
  if (m[3]) ref.tag = m[3];
  if (m[4]) {
    if (!/^sha256:[a-f0-9]{64}$/.test(m[4])) throw new InvalidReferenceError("invalid reference format");
    ref.digest = m[4];
  }
  if (ref.path.length + ref.domain.length + 1 > 255) {
    throw new InvalidReferenceError("repository name must not be more than 255 characters");
  }
  return ref;
}

/** reference.TagNameOnly: "latest" when neither tag nor digest was given. */
export function withDefaultTag(ref: ImageRef): ImageRef {
  return ref.tag || ref.digest ? ref : { ...ref, tag: "latest" };
}

/** The pull API's fromImage + tag (tag may carry a digest, as the docker CLI sends it). */
export function refFromPullParams(fromImage: string, tag?: string): ImageRef {
  const ref = parseImageRef(fromImage);
  if (!tag) return ref;
  if (ref.tag || ref.digest) return ref;
  if (tag.includes(":")) return parseImageRef(`${fromImage}@${tag}`);
  return parseImageRef(`${fromImage}:${tag}`);
}

/** "docker.io/library/busybox" */
export function repositoryName(ref: ImageRef): string {
  return `${ref.domain}/${ref.path}`;
}

/** reference.FamiliarName: "busybox", "foo/bar", "library/a/b", "127.0.0.1:5000/x". */
export function familiarName(ref: ImageRef): string {
  if (ref.domain !== dockerHub) return repositoryName(ref);
  const official = ref.path.startsWith("library/") && ref.path.split("/").length === 2;
  return official ? ref.path.slice("library/".length) : ref.path;
}

/** "busybox:latest", "127.0.0.1:5000/x@sha256:…" */
export function familiarString(ref: ImageRef): string {
  return `${familiarName(ref)}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/** "docker.io/library/busybox:latest" */
export function canonicalString(ref: ImageRef): string {
  return `${repositoryName(ref)}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/** The host to send API requests to. */
export function apiHost(domain: string): string {
  return domain === dockerHub ? dockerHubApiHost : domain;
}

/** The key of a registry's entry in ~/.docker/config.json "auths" (and X-Registry-Auth serveraddress). */
export function authKey(domain: string): string {
  return domain === dockerHub ? dockerHubAuthKey : domain;
}

/**
 * A login's server address as the docker CLI and daemon normalise it: scheme and path dropped,
 * Hub's many spellings mapped to docker.io.
 */
export function registryDomain(serverAddress: string): string {
  let s = serverAddress.trim();
  s = s.replace(/^https?:\/\//, "");
  s = s.replace(/\/.*$/, "");
  if (s === "" || s === "index.docker.io" || s === "registry-1.docker.io" || s === "docker.io")
    return dockerHub;
  return s;
}
