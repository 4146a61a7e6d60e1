// Builds tiny OCI image layouts on disk (oci-layout, index.json, blobs/sha256/…) for skopeo to
// push: gzipped layer tars made with tar-stream, a config, manifests, optionally an index.
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { pack } from "tar-stream";

export interface LayoutImage {
  manifestDigest: string;
  manifest: string;
}

function digestOf(data: Buffer | string): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

async function writeBlob(dir: string, data: Buffer | string): Promise<{ digest: string; size: number }> {
  const digest = digestOf(data);
  await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
  await writeFile(join(dir, "blobs", "sha256", digest.slice(7)), data);
  return { digest, size: Buffer.byteLength(data) };
}

async function layerTar(files: Record<string, string>): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on("data", (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    archive.on("end", () => resolve());
    archive.on("error", reject);
  });
  for (const [name, content] of Object.entries(files)) {
    archive.entry({ name, mode: 0o644, mtime: new Date(0) }, content);
  }
  archive.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function writeImage(
  dir: string,
  architecture: string,
  files: Record<string, string>,
): Promise<LayoutImage> {
  const tar = await layerTar(files);
  const layer = await writeBlob(dir, gzipSync(tar));
  const config = await writeBlob(
    dir,
    JSON.stringify({
      architecture,
      os: "linux",
      config: { Cmd: ["/hello"] },
      rootfs: { type: "layers", diff_ids: [digestOf(tar)] },
    }),
  );
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layer }],
  });
  const written = await writeBlob(dir, manifest);
  return { manifestDigest: written.digest, manifest };
}

async function writeIndexJson(dir: string, entries: object[]): Promise<void> {
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await writeFile(join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: entries }));
}

/** A single-platform image tagged `tag`. */
export async function buildImageLayout(dir: string, tag: string): Promise<LayoutImage> {
  const image = await writeImage(dir, "amd64", {
    hello: "hello from wharf\n",
    "etc/os-release": "NAME=wharf-test\n",
    "data/random.txt": createHash("sha512").update(dir).digest("hex"),
  });
  await writeIndexJson(dir, [
    {
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest: image.manifestDigest,
      size: Buffer.byteLength(image.manifest),
      annotations: { "org.opencontainers.image.ref.name": tag },
    },
  ]);
  return image;
}

/** A two-platform image index tagged `tag`. */
export async function buildIndexLayout(dir: string, tag: string): Promise<LayoutImage> {
  const amd = await writeImage(dir, "amd64", { arch: "amd64\n" });
  const arm = await writeImage(dir, "arm64", { arch: "arm64\n" });
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      [amd, "amd64"],
      [arm, "arm64"],
    ].map(([img, arch]) => ({
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest: (img as LayoutImage).manifestDigest,
      size: Buffer.byteLength((img as LayoutImage).manifest),
      platform: { architecture: arch, os: "linux" },
    })),
  });
  const written = await writeBlob(dir, index);
  await writeIndexJson(dir, [
    {
      mediaType: "application/vnd.oci.image.index.v1+json",
      digest: written.digest,
      size: Buffer.byteLength(index),
      annotations: { "org.opencontainers.image.ref.name": tag },
    },
  ]);
  return { manifestDigest: written.digest, manifest: index };
}

/** Digest → content of every blob in a layout, to compare two layouts. */
export async function layoutBlobs(dir: string): Promise<Map<string, string>> {
  const blobs = new Map<string, string>();
  const blobDir = join(dir, "blobs", "sha256");
  for (const name of await readdir(blobDir)) {
    blobs.set(`sha256:${name}`, digestOf(await readFile(join(blobDir, name))));
  }
  return blobs;
}
