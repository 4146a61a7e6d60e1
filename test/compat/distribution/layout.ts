// A multi-layer OCI image layout on disk for skopeo to copy into a registry: busybox's rootfs as
// the gzip base layer, then layers that add, overwrite and delete (whiteout) files.
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { pack } from "tar-stream";
import { busyboxTar } from "../../helpers/images.ts";

const digestOf = (data: Buffer | string) => `sha256:${createHash("sha256").update(data).digest("hex")}`;

async function writeBlob(dir: string, data: Buffer | string) {
  const digest = digestOf(data);
  await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
  await writeFile(join(dir, "blobs", "sha256", digest.slice(7)), data);
  return { digest, size: Buffer.byteLength(data) };
}

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on("data", (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve) => archive.on("end", () => resolve()));
  for (const [name, content] of Object.entries(files))
    archive.entry({ name, mode: 0o644, mtime: new Date(0) }, content);
  archive.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Writes the layout; the image answers `cat /layers/a` with "two" and has no /layers/gone. */
export async function buildLayeredLayout(dir: string, tag: string): Promise<{ layers: string[] }> {
  const tars = [
    await readFile(await busyboxTar()),
    await tarOf({ "layers/a": "one", "layers/gone": "bye" }),
    await tarOf({ "layers/a": "two", "layers/.wh.gone": "" }),
  ];
  const layers = [];
  for (const tar of tars)
    layers.push({
      mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
      ...(await writeBlob(dir, gzipSync(tar))),
    });
  const config = await writeBlob(
    dir,
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: { Cmd: ["sh"], Env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"] },
      rootfs: { type: "layers", diff_ids: tars.map((t) => digestOf(t)) },
    }),
  );
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
    layers,
  });
  const m = await writeBlob(dir, manifest);
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await writeFile(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          ...m,
          annotations: { "org.opencontainers.image.ref.name": tag },
        },
      ],
    }),
  );
  return { layers: layers.map((l) => l.digest) };
}
