// `docker save`-style archives crafted in tests (docker-archive layout with blobs/ paths).
import { readFileSync } from "node:fs";
import { sha256Digest } from "../../src/util/digest.ts";
import { busyboxTar } from "./images.ts";
import { makeTar, type TarEntry } from "./tars.ts";

export interface ArchiveImage {
  layers: Buffer[];
  repoTags?: string[];
  cmd?: string[];
  /** Overrides the diff IDs written to the config (to craft mismatches). */
  diffIds?: string[];
}

/** Builds a docker-archive tar holding `images`; returns the tar and the image IDs. */
export async function makeDockerArchive(
  images: ArchiveImage[],
  extra: TarEntry[] = [],
): Promise<{ tar: Buffer; ids: string[] }> {
  const entries: TarEntry[] = [];
  const written = new Set<string>();
  const manifest: Array<Record<string, unknown>> = [];
  const ids: string[] = [];
  const blob = (data: Buffer): string => {
    const digest = sha256Digest(data);
    const name = `blobs/sha256/${digest.slice(7)}`;
    if (!written.has(name)) {
      written.add(name);
      entries.push({ name, body: data });
    }
    return name;
  };
  for (const img of images) {
    const layerPaths = img.layers.map(blob);
    const config = Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        created: "2024-05-01T00:00:00Z",
        config: { Cmd: img.cmd ?? ["sh"], Env: ["PATH=/bin"] },
        rootfs: { type: "layers", diff_ids: img.diffIds ?? img.layers.map((l) => sha256Digest(l)) },
        history: img.layers.map((_, i) => ({ created_by: `layer ${i}` })),
      }),
    );
    ids.push(sha256Digest(config));
    manifest.push({ Config: blob(config), RepoTags: img.repoTags ?? null, Layers: layerPaths });
  }
  entries.push(...extra);
  entries.push({ name: "manifest.json", body: JSON.stringify(manifest) });
  return { tar: await makeTar(entries), ids };
}

/** busybox's rootfs plus `depth` layers, each adding /layers/<n>. */
export async function deepLayers(depth: number): Promise<Buffer[]> {
  const layers: Buffer[] = [readFileSync(await busyboxTar())];
  for (let i = 0; i < depth; i++) {
    const entries: TarEntry[] = [
      { name: "layers/", type: "directory" },
      { name: `layers/${i}`, body: `${i}\n` },
    ];
    if (i === depth - 1) entries.push({ name: "layers/.wh.0" });
    layers.push(await makeTar(entries));
  }
  return layers;
}
