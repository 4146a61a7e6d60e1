// Image references for the image store: the shared Docker parser (util/reference.ts) with the
// store's conventions — ":latest" implied unless asked otherwise, parse errors as the API's
// 400 (InvalidParameterError), and the canonical tags-table key.

import {
  dockerHub,
  familiarName as familiar,
  familiarString,
  parseImageRef,
  repositoryName,
  withDefaultTag,
} from "../../util/reference.ts";
import { InvalidParameterError } from "../errors.ts";

export const defaultDomain = dockerHub;

export interface Reference {
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
}

export function parseReference(input: string, opts: { defaultTag?: boolean } = {}): Reference {
  let parsed: Reference;
  try {
    parsed = parseImageRef(input);
  } catch (err) {
    throw new InvalidParameterError((err as Error).message);
  }
  const ref = opts.defaultTag === false ? parsed : withDefaultTag(parsed);
  return { domain: ref.domain, path: ref.path, tag: ref.tag, digest: ref.digest };
}

/** The repository as Docker shows it: "busybox", "foo/bar", "127.0.0.1:5000/x". */
export function familiarName(ref: Reference): string {
  return familiar(ref);
}

export function fullName(ref: Reference): string {
  return repositoryName(ref);
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

/**
 * How Docker names an image it cannot find: the reference with ":latest" implied, in familiar
 * form ("nonexist" → "nonexist:latest"); a name that is no reference is shown as given.
 */
export function missingImageName(name: string): string {
  try {
    return familiarString(withDefaultTag(parseImageRef(name)));
  } catch {
    return name;
  }
}
