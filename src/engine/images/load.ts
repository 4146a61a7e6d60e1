// `docker load`: reads the tar `docker save` writes — manifest.json (any Docker version, incl.
// the legacy <id>/layer.tar layout with its symlinks) or, without it, a plain OCI image layout
// (index.json + blobs, as skopeo's oci-archive: writes). The archive is spooled to a scratch dir
// on the content store's filesystem first (its entries come in any order); layers whose chain
// already exists are not stored again. Nothing becomes visible until every layer of every image
// is unpacked and verified; on any failure what this load added is removed again.
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join, posix } from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as tarStream from "tar-stream";
import type { ContentStore } from "../content/store.ts";
import { InvalidParameterError } from "../errors.ts";
import { decompress } from "../snapshots/apply.ts";
import { chainId, type LayerRow } from "./layers.ts";
import type { ImageConfig } from "./oci.ts";
import { familiarTag, parseReference, tagKey } from "./reference.ts";
import type { ImageService } from "./service.ts";

interface SpooledFile {
  abs: string;
  digest: string;
  size: number;
}

/** The archive's files by normalised path; symlinks resolved inside the archive only. */
class Spool {
  readonly files = new Map<string, SpooledFile>();
  readonly links = new Map<string, string>();
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  resolve(path: string): SpooledFile {
    let cur = safePath(path);
    for (let hops = 0; hops < 16; hops++) {
      const file = this.files.get(cur);
      if (file) return file;
      const target = this.links.get(cur);
      if (target === undefined) break;
      cur = safePath(posix.join(posix.dirname(cur), target));
    }
    throw new InvalidParameterError(`invalid archive: ${path} is missing`);
  }

  async json<T>(path: string): Promise<T> {
    try {
      return JSON.parse(await readFile(this.resolve(path).abs, "utf8")) as T;
    } catch (err) {
      if (err instanceof InvalidParameterError) throw err;
      throw new InvalidParameterError(`invalid archive: ${path} is not valid JSON`);
    }
  }

  has(path: string): boolean {
    return this.files.has(path);
  }
}

/** A relative archive path without `..` escapes, or an error. */
function safePath(name: string): string {
  const norm = posix.normalize(name.replace(/^\/+/, "")).replace(/\/+$/, "");
  if (norm === ".." || norm.startsWith("../") || norm === "." || norm === "")
    throw new InvalidParameterError(`invalid archive: unsafe path ${JSON.stringify(name)}`);
  return norm;
}

async function spool(source: Readable, dir: string): Promise<Spool> {
  const result = new Spool(dir);
  const extract = tarStream.extract();
  let n = 0;
  const consume = (async () => {
    for await (const entry of extract) {
      const h = entry.header;
      if (h.type === "file" || h.type === "contiguous-file") {
        const rel = safePath(h.name);
        const abs = join(dir, String(n++));
        const hash = createHash("sha256");
        let size = 0;
        const hasher = new Transform({
          transform(chunk: Buffer, _enc, done) {
            hash.update(chunk);
            size += chunk.length;
            done(null, chunk);
          },
        });
        await pipeline(entry, hasher, createWriteStream(abs));
        result.files.set(rel, { abs, digest: `sha256:${hash.digest("hex")}`, size });
      } else if (h.type === "symlink") {
        result.links.set(safePath(h.name), h.linkname ?? "");
        entry.resume();
      } else if (h.type === "directory") {
        entry.resume();
      } else {
        throw new InvalidParameterError(`invalid archive: unexpected ${h.type} entry ${h.name}`);
      }
    }
  })();
  try {
    await Promise.all([pipeline(await decompress(source), extract), consume]);
  } catch (err) {
    if (err instanceof InvalidParameterError) throw err;
    throw new InvalidParameterError(`invalid archive: ${(err as Error).message}`);
  }
  return result;
}

interface ImageEntry {
  configPath: string;
  layerPaths: string[];
  layerMediaTypes: string[];
  tags: string[];
}

interface DockerManifestItem {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

interface OciDescriptor {
  mediaType?: string;
  digest: string;
  annotations?: Record<string, string>;
}

const blobPath = (digest: string) => `blobs/${digest.replace(":", "/")}`;

async function imagesOf(archive: Spool): Promise<ImageEntry[]> {
  if (archive.has("manifest.json")) {
    const items = await archive.json<DockerManifestItem[]>("manifest.json");
    if (!Array.isArray(items))
      throw new InvalidParameterError("invalid archive: manifest.json is not a list");
    return items.map((item) => {
      if (typeof item?.Config !== "string" || !Array.isArray(item.Layers))
        throw new InvalidParameterError("invalid archive: malformed manifest.json entry");
      return {
        configPath: item.Config,
        layerPaths: item.Layers,
        layerMediaTypes: item.Layers.map(() => "application/vnd.oci.image.layer.v1.tar"),
        tags: item.RepoTags ?? [],
      };
    });
  }
  if (!archive.has("index.json"))
    throw new InvalidParameterError("invalid archive: neither manifest.json nor index.json found");
  const out: ImageEntry[] = [];
  const visit = async (desc: OciDescriptor, tags: string[]): Promise<void> => {
    const doc = await archive.json<{
      manifests?: OciDescriptor[];
      config?: OciDescriptor;
      layers?: OciDescriptor[];
    }>(blobPath(desc.digest));
    if (doc.manifests) {
      for (const m of doc.manifests) await visit(m, tags);
      return;
    }
    if (!doc.config || !Array.isArray(doc.layers))
      throw new InvalidParameterError(`invalid archive: manifest ${desc.digest} is malformed`);
    if (
      doc.config.mediaType?.includes("attestation") ||
      doc.config.mediaType === "application/vnd.in-toto+json"
    )
      return;
    out.push({
      configPath: blobPath(doc.config.digest),
      layerPaths: doc.layers.map((l) => blobPath(l.digest)),
      layerMediaTypes: doc.layers.map((l) => l.mediaType ?? "application/vnd.oci.image.layer.v1.tar"),
      tags,
    });
  };
  const index = await archive.json<{ manifests?: OciDescriptor[] }>("index.json");
  for (const desc of index.manifests ?? []) {
    const name = desc.annotations?.["io.containerd.image.name"];
    const refName = desc.annotations?.["org.opencontainers.image.ref.name"];
    const tags: string[] = [];
    if (name) tags.push(name);
    else if (refName && /[/:]/.test(refName)) tags.push(refName);
    await visit(desc, tags);
  }
  return out;
}

export interface LoadResult {
  /** Docker's output lines ("Loaded image: busybox:latest"). */
  lines: string[];
  /** IDs of the images loaded. */
  ids: string[];
}

export class ImageLoader {
  private readonly images: ImageService;
  private readonly content: ContentStore;

  constructor(images: ImageService, content: ContentStore) {
    this.images = images;
    this.content = content;
  }

  async load(source: Readable): Promise<LoadResult> {
    const dir = await this.content.makeTempDir("load");
    const createdLayers: LayerRow[] = [];
    const adopted: string[] = [];
    try {
      return await this.images.withLease(async () => {
        const archive = await spool(source, dir);
        const entries = await imagesOf(archive);
        if (entries.length === 0) throw new InvalidParameterError("invalid archive: no images found");
        const prepared: Array<{ config: Buffer; layers: LayerRow[]; tags: string[] }> = [];
        for (const entry of entries) {
          const configFile = archive.resolve(entry.configPath);
          const config = await readFile(configFile.abs);
          let parsed: ImageConfig;
          try {
            parsed = JSON.parse(config.toString("utf8")) as ImageConfig;
          } catch {
            throw new InvalidParameterError(`invalid archive: ${entry.configPath} is not valid JSON`);
          }
          const diffIds = parsed.rootfs?.diff_ids ?? [];
          if (diffIds.length !== entry.layerPaths.length)
            throw new InvalidParameterError("invalid archive: config diff_ids and layers differ in number");
          const layers: LayerRow[] = [];
          let parent: string | null = null;
          for (const [i, diffId] of diffIds.entries()) {
            const existing = this.images.layer(chainId(parent, diffId));
            let layer = existing;
            if (!layer) {
              const file = archive.resolve(entry.layerPaths[i] as string);
              if (await this.content.adopt(file.abs, file.digest)) adopted.push(file.digest);
              layer = await this.images.addLayer(parent, file.digest, entry.layerMediaTypes[i] as string, {
                diffId,
              });
              createdLayers.push(layer);
            }
            layers.push(layer);
            parent = layer.chain_id;
          }
          for (const t of entry.tags) parseReference(t);
          prepared.push({ config, layers, tags: entry.tags });
        }
        // Everything is unpacked and verified: now the images and tags appear.
        const lines: string[] = [];
        const ids: string[] = [];
        for (const p of prepared) {
          const id = await this.images.createImage(p.config, p.layers);
          ids.push(id);
          if (p.tags.length === 0) lines.push(`Loaded image ID: ${id}`);
          for (const t of p.tags) {
            const name = familiarTag(tagKey(parseReference(t)));
            const previous = this.images.find(name);
            if (previous && previous.id !== id)
              lines.push(
                `The image ${name} already exists, renaming the old one with ID ${previous.id} to empty string`,
              );
            const ref = parseReference(name);
            this.images.tag(id, name.slice(0, name.lastIndexOf(":")), ref.tag);
            lines.push(`Loaded image: ${name}`);
          }
        }
        return { lines, ids };
      });
    } catch (err) {
      for (const layer of createdLayers.reverse()) await this.images.dropLayerIfUnused(layer);
      for (const digest of adopted) await this.images.dropBlobIfUnused(digest);
      throw err;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
