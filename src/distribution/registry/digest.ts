// Content digests as the OCI image spec defines them ("algorithm:encoded"), limited to the
// registered algorithms a registry must verify: sha256 (canonical) and sha512.
import { createHash, type Hash } from "node:crypto";
import { RegistryError } from "./errors.ts";

export type DigestAlgorithm = "sha256" | "sha512";

export interface Digest {
  readonly algorithm: DigestAlgorithm;
  readonly hex: string;
  /** The full "algorithm:hex" string. */
  readonly value: string;
}

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export function isDigestAlgorithm(value: string): value is DigestAlgorithm {
  return value === "sha256" || value === "sha512";
}

/** Parses a digest or returns undefined when it is malformed or uses an unsupported algorithm. */
export function tryParseDigest(value: string): Digest | undefined {
  if (!GRAMMAR.test(value)) return undefined;
  const colon = value.indexOf(":");
  const algorithm = value.slice(0, colon);
  const hex = value.slice(colon + 1);
  if (!isDigestAlgorithm(algorithm)) return undefined;
  if (hex.length !== HEX_LENGTH[algorithm] || !/^[0-9a-f]+$/.test(hex)) return undefined;
  return { algorithm, hex, value };
}

export function parseDigest(value: string): Digest {
  const digest = tryParseDigest(value);
  if (!digest) throw new RegistryError("DIGEST_INVALID", `invalid digest: ${value.slice(0, 200)}`);
  return digest;
}

/** True when the string looks like an attempt at a digest (so it is not judged as a tag). */
export function looksLikeDigest(value: string): boolean {
  return value.includes(":");
}

export function newHash(algorithm: DigestAlgorithm): Hash {
  return createHash(algorithm);
}

export function digestOf(data: Uint8Array, algorithm: DigestAlgorithm = "sha256"): Digest {
  const hex = createHash(algorithm).update(data).digest("hex");
  return { algorithm, hex, value: `${algorithm}:${hex}` };
}

export function digestFromHash(algorithm: DigestAlgorithm, hash: Hash): Digest {
  const hex = hash.digest("hex");
  return { algorithm, hex, value: `${algorithm}:${hex}` };
}
