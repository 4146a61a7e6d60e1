// Image references as the docker CLI normalises them (distribution/reference): "busybox" is
// docker.io/library/busybox:latest, shown back as "busybox:latest". The parser is the shared
// one in util/reference.ts; these are the names the CLI code uses for it.
import { type ImageRef, parseImageRef, repositoryName } from "../util/reference.ts";

export {
  canonicalString,
  familiarName,
  familiarString,
  InvalidReferenceError,
  withDefaultTag,
} from "../util/reference.ts";

export type ImageReference = ImageRef;

/** reference.ParseNormalizedNamed (every field present, tag and digest possibly undefined). */
export function parseNormalizedNamed(s: string): ImageReference {
  const ref = parseImageRef(s);
  return { domain: ref.domain, path: ref.path, tag: ref.tag, digest: ref.digest };
}

/** The full repository name: "docker.io/library/busybox". */
export function fullName(ref: ImageReference): string {
  return repositoryName(ref);
}

/** What the API wants in `tag=` for a pull: the digest, the tag, or "latest". */
export function apiTag(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? "latest";
}
