// Image references as the docker CLI normalises them (distribution/reference):
// "busybox" is docker.io/library/busybox:latest, shown back as "busybox:latest".

export interface ImageReference {
  /** Registry host, "docker.io" when none was given. */
  domain: string;
  /** Repository path inside the registry ("library/busybox"). */
  path: string;
  tag?: string;
  digest?: string;
}

export class InvalidReferenceError extends Error {}

const pathComponent = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domain = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const tag = "[\\w][\\w.-]{0,127}";
const digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}";
const referenceRe = new RegExp(
  `^((?:${domain}/)?${pathComponent}(?:/${pathComponent})*)(?::(${tag}))?(?:@(${digest}))?$`,
);
const hex64 = /^[a-f0-9]{64}$/;

const defaultDomain = "docker.io";

/** reference.ParseNormalizedNamed */
export function parseNormalizedNamed(s: string): ImageReference {
  if (hex64.test(s)) {
    throw new InvalidReferenceError(
      `invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`,
    );
  }
  const slash = s.indexOf("/");
  let dom: string;
  let remainder: string;
  const first = slash >= 0 ? s.slice(0, slash) : "";
  if (slash < 0 || (!/[.:]/.test(first) && first !== "localhost" && first.toLowerCase() === first)) {
    dom = defaultDomain;
    remainder = s;
  } else {
    dom = first;
    remainder = s.slice(slash + 1);
  }
  if (dom === "index.docker.io") dom = defaultDomain;
  if (dom === defaultDomain && !remainder.includes("/")) remainder = `library/${remainder}`;
  const colon = remainder.indexOf(":");
  const remoteName = colon >= 0 ? remainder.slice(0, colon) : remainder;
  if (remoteName.toLowerCase() !== remoteName) {
    throw new InvalidReferenceError(
      `invalid reference format: repository name (${remoteName}) must be lowercase`,
    );
  }
  const m = referenceRe.exec(`${dom}/${remainder}`);
  if (!m) throw new InvalidReferenceError("invalid reference format");
  const name = m[1] as string;
  if (name.length > 255)
    throw new InvalidReferenceError("repository name must not be more than 255 characters");
  const path = name.slice(dom.length + 1);
  return { domain: dom, path, tag: m[2], digest: m[3] };
}

/** reference.TagNameOnly: a reference without tag or digest gets ":latest". */
export function withDefaultTag(ref: ImageReference): ImageReference {
  return ref.tag || ref.digest ? ref : { ...ref, tag: "latest" };
}

/** The full repository name: "docker.io/library/busybox". */
export function fullName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** reference.FamiliarName: "busybox", "me/app", "127.0.0.1:5000/app". */
export function familiarName(ref: ImageReference): string {
  if (ref.domain !== defaultDomain) return fullName(ref);
  return ref.path.startsWith("library/") && ref.path.split("/").length === 2 ? ref.path.slice(8) : ref.path;
}

/** reference.FamiliarString: the name plus ":tag" and "@digest". */
export function familiarString(ref: ImageReference): string {
  return `${familiarName(ref)}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/** What the API wants in `tag=` for a pull: the digest, the tag, or "latest". */
export function apiTag(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? "latest";
}
