// Parses and validates a pushed manifest: OCI image manifest and index, Docker schema 2
// manifest and manifest list. The registry stores the bytes exactly as pushed; parsing only
// decides whether to accept them and what they reference.
import { tryParseDigest } from "../digest.ts";
import { RegistryError } from "../errors.ts";
import {
  type Descriptor,
  IMAGE_MANIFEST_TYPES,
  INDEX_TYPES,
  isNonDistributable,
  MANIFEST_TYPES,
  MediaType,
} from "./types.ts";

export interface ParsedManifest {
  /** The media type the manifest is served with. */
  mediaType: string;
  kind: "image" | "index";
  /** Config and layers of an image manifest (blobs that must exist in the repository). */
  blobs: Descriptor[];
  /** Manifests an index lists (must exist in the repository). */
  manifests: Descriptor[];
  /** Layers stored elsewhere; referenced but never required here. */
  external: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  configMediaType?: string;
  annotations?: Record<string, string>;
}

/** The media type named by a Content-Type header, without parameters. */
export function baseMediaType(contentType: string | undefined): string | undefined {
  const value = contentType?.split(";")[0]?.trim().toLowerCase();
  return value ? value : undefined;
}

export function parseManifest(bytes: Uint8Array, contentType: string | undefined): ParsedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    throw invalid("manifest is not valid JSON");
  }
  if (!isObject(doc)) throw invalid("manifest must be a JSON object");
  if (doc.schemaVersion !== 2) throw invalid("unsupported schemaVersion (only 2 is accepted)");
  const bodyType = optionalString(doc, "mediaType");
  const headerType = baseMediaType(contentType);
  if (bodyType && headerType && MANIFEST_TYPES.has(headerType) && headerType !== bodyType) {
    throw invalid(`Content-Type ${headerType} does not match the manifest's mediaType ${bodyType}`);
  }
  const mediaType = resolveMediaType(doc, bodyType, headerType);
  if (IMAGE_MANIFEST_TYPES.has(mediaType)) return parseImageManifest(doc, mediaType);
  return parseIndex(doc, mediaType);
}

function resolveMediaType(doc: Record<string, unknown>, bodyType?: string, headerType?: string): string {
  const candidate = bodyType ?? (headerType && MANIFEST_TYPES.has(headerType) ? headerType : undefined);
  if (candidate) {
    if (candidate === MediaType.dockerSchema1 || candidate === MediaType.dockerSchema1Signed) {
      throw invalid("Docker schema 1 manifests are not supported");
    }
    if (!MANIFEST_TYPES.has(candidate)) throw invalid(`unsupported manifest media type ${candidate}`);
    return candidate;
  }
  // OCI allows mediaType to be omitted; the structure tells which document it is.
  if (Array.isArray(doc.manifests)) return MediaType.ociIndex;
  if (isObject(doc.config)) return MediaType.ociManifest;
  throw invalid("cannot determine the manifest media type");
}

function parseImageManifest(doc: Record<string, unknown>, mediaType: string): ParsedManifest {
  if (!isObject(doc.config)) throw invalid("image manifest has no config descriptor");
  const config = parseDescriptor(doc.config, "config");
  if (!Array.isArray(doc.layers)) throw invalid("image manifest has no layers array");
  const layers = doc.layers.map((layer, i) => parseDescriptor(layer, `layers[${i}]`));
  const blobs = [config, ...layers.filter((l) => !isNonDistributable(l.mediaType))];
  const external = layers.filter((l) => isNonDistributable(l.mediaType));
  return {
    mediaType,
    kind: "image",
    blobs,
    manifests: [],
    external,
    configMediaType: config.mediaType,
    ...common(doc),
  };
}

function parseIndex(doc: Record<string, unknown>, mediaType: string): ParsedManifest {
  if (!Array.isArray(doc.manifests)) throw invalid("index has no manifests array");
  const manifests = doc.manifests.map((m, i) => parseDescriptor(m, `manifests[${i}]`));
  return { mediaType, kind: "index", blobs: [], manifests, external: [], ...common(doc) };
}

function common(
  doc: Record<string, unknown>,
): Pick<ParsedManifest, "subject" | "artifactType" | "annotations"> {
  const result: Pick<ParsedManifest, "subject" | "artifactType" | "annotations"> = {};
  if (doc.subject !== undefined) result.subject = parseDescriptor(doc.subject, "subject");
  const artifactType = optionalString(doc, "artifactType");
  if (artifactType) result.artifactType = artifactType;
  if (doc.annotations !== undefined) result.annotations = parseAnnotations(doc.annotations, "annotations");
  return result;
}

export function parseDescriptor(value: unknown, where: string): Descriptor {
  if (!isObject(value)) throw invalid(`${where} is not a descriptor object`);
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== "string" || mediaType === "") throw invalid(`${where}.mediaType is missing`);
  if (typeof digest !== "string" || !tryParseDigest(digest)) throw invalid(`${where}.digest is invalid`);
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    throw invalid(`${where}.size is invalid`);
  }
  const descriptor: Descriptor = { mediaType, digest, size };
  if (typeof value.artifactType === "string") descriptor.artifactType = value.artifactType;
  if (value.annotations !== undefined) {
    descriptor.annotations = parseAnnotations(value.annotations, `${where}.annotations`);
  }
  if (value.data !== undefined && typeof value.data !== "string") throw invalid(`${where}.data is invalid`);
  return descriptor;
}

function parseAnnotations(value: unknown, where: string): Record<string, string> {
  if (!isObject(value)) throw invalid(`${where} must be an object`);
  for (const v of Object.values(value)) {
    if (typeof v !== "string") throw invalid(`${where} values must be strings`);
  }
  return value as Record<string, string>;
}

/**
 * The descriptor the referrers API lists for a manifest with a subject: artifactType falls
 * back to the config media type for image manifests, and annotations are copied.
 */
export function referrerDescriptor(parsed: ParsedManifest, digest: string, size: number): Descriptor {
  const descriptor: Descriptor = { mediaType: parsed.mediaType, digest, size };
  const artifactType = parsed.artifactType ?? (parsed.kind === "image" ? parsed.configMediaType : undefined);
  if (artifactType) descriptor.artifactType = artifactType;
  if (parsed.annotations && Object.keys(parsed.annotations).length > 0) {
    descriptor.annotations = parsed.annotations;
  }
  return descriptor;
}

export function isIndexType(mediaType: string): boolean {
  return INDEX_TYPES.has(mediaType);
}

function optionalString(doc: Record<string, unknown>, key: string): string | undefined {
  const value = doc[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw invalid(`${key} must be a string`);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function invalid(message: string): RegistryError {
  return new RegistryError("MANIFEST_INVALID", message);
}
