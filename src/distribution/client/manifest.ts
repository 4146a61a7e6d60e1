// Manifest media types, the Accept header a pull sends, and platform selection from an OCI
// index / Docker manifest list (containerd's platform matching: os, architecture, variant
// with arm64 → v8 and arm → v7 as the defaults).

export const MediaTypes = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  dockerForeignLayer: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  dockerSchema1: "application/vnd.docker.distribution.manifest.v1+json",
  dockerSchema1Signed: "application/vnd.docker.distribution.manifest.v1+prettyjws",
} as const;

/** What a pull accepts, preferred first. */
export const manifestAccept = [
  MediaTypes.dockerManifest,
  MediaTypes.dockerManifestList,
  MediaTypes.ociManifest,
  MediaTypes.ociIndex,
].join(", ");

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  "os.version"?: string;
  "os.features"?: string[];
}

export interface ImageManifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ManifestIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
}

export type ManifestKind = "index" | "image";

export class UnsupportedManifestError extends Error {}

/** Which kind a manifest is, from the Content-Type or the body's own mediaType/shape. */
export function manifestKind(contentType: string | undefined, body: Record<string, unknown>): ManifestKind {
  const type = (contentType ?? "").split(";")[0]?.trim() || (body.mediaType as string | undefined) || "";
  if (type === MediaTypes.ociIndex || type === MediaTypes.dockerManifestList) return "index";
  if (type === MediaTypes.ociManifest || type === MediaTypes.dockerManifest) return "image";
  if (
    type === MediaTypes.dockerSchema1 ||
    type === MediaTypes.dockerSchema1Signed ||
    body.schemaVersion === 1
  ) {
    throw new UnsupportedManifestError(
      "[DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, schema 1 support is disabled by default and will be removed in an upcoming release.",
    );
  }
  // Untyped OCI content: decide by shape.
  if (Array.isArray(body.manifests)) return "index";
  if (body.config && Array.isArray(body.layers)) return "image";
  throw new UnsupportedManifestError(`unsupported manifest media type: ${type || "(none)"}`);
}

const archNames: Record<string, string> = { x64: "amd64", ia32: "386", arm64: "arm64", arm: "arm" };

/** The host's platform in OCI terms (linux/amd64 on x86-64). */
export function hostPlatform(): Platform {
  const architecture = archNames[process.arch] ?? process.arch;
  return { os: "linux", architecture, ...(architecture === "arm64" ? { variant: "v8" } : {}) };
}

/** containerd's platforms.Parse for "os[/arch[/variant]]" or "arch"; Normalize applied. */
export function parsePlatform(spec: string): Platform {
  const parts = spec.toLowerCase().split("/");
  if (parts.some((p) => p === "") || parts.length > 3) {
    throw new Error(`"${spec}": unknown operating system or architecture: invalid argument`);
  }
  let [os, arch, variant] = parts as [string, string | undefined, string | undefined];
  if (arch === undefined && os !== "linux" && os !== "windows" && os !== "darwin") {
    arch = os;
    os = "linux";
  }
  return normalizePlatform({
    os,
    architecture: arch ?? hostPlatform().architecture,
    ...(variant ? { variant } : {}),
  });
}

export function normalizePlatform(p: Platform): Platform {
  let arch = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase();
  if (arch === "x86_64" || arch === "x86-64") arch = "amd64";
  if (arch === "i386") arch = "386";
  if (arch === "aarch64") arch = "arm64";
  if (arch === "amd64" && variant === "v1") variant = undefined;
  if (arch === "arm64" && (variant === undefined || variant === "8" || variant === "v8")) variant = "v8";
  if (arch === "arm" && (variant === undefined || variant === "7")) variant = "v7";
  return { os: p.os.toLowerCase(), architecture: arch, ...(variant ? { variant } : {}) };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

function matches(want: Platform, have: Platform): boolean {
  const w = normalizePlatform(want);
  const h = normalizePlatform(have);
  return w.os === h.os && w.architecture === h.architecture && (w.variant ?? "") === (h.variant ?? "");
}

/** The index entry for `want`, or undefined (Docker: "no matching manifest for …"). */
export function selectManifest(index: ManifestIndex, want: Platform): Descriptor | undefined {
  const images = index.manifests.filter(
    (d) =>
      d.mediaType === MediaTypes.ociManifest ||
      d.mediaType === MediaTypes.dockerManifest ||
      d.mediaType === undefined,
  );
  return (
    images.find((d) => d.platform && matches(want, d.platform)) ??
    // amd64 content without a variant also serves an amd64 request with v2/v3 etc.
    images.find(
      (d) =>
        d.platform &&
        normalizePlatform(d.platform).os === want.os &&
        d.platform.architecture === want.architecture &&
        !d.platform.variant,
    )
  );
}
