// `docker save`: the tar Docker 25+ writes — an OCI image layout (oci-layout, index.json,
// blobs/sha256/…) that is also the classic docker-archive (manifest.json, repositories), so both
// old and new loaders (docker load, skopeo docker-archive: and oci-archive:) read it. Layers are
// written uncompressed under their diff ID, each once however many images share it.
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as tarStream from "tar-stream";
import { digestHex, sha256Digest } from "../../util/digest.ts";
import type { ContentStore } from "../content/store.ts";
import { NotFoundError } from "../errors.ts";
import { decompress } from "../snapshots/apply.ts";
import type { LayerRow } from "./layers.ts";
import { mediaTypes } from "./oci.ts";
import { familiarName, familiarTag, fullName, parseReference } from "./reference.ts";
import type { ImageRecord, ImageService } from "./service.ts";

const indexMediaType = "application/vnd.oci.image.index.v1+json";

interface SaveItem {
  image: ImageRecord;
  /** Familiar "repo:tag" names to record. */
  tags: string[];
}

/** Resolves `docker save` arguments: a repo without a tag means all its tags, an ID none. */
export function resolveSaveNames(images: ImageService, names: string[]): SaveItem[] {
  const items = new Map<string, SaveItem>();
  const add = (image: ImageRecord, tags: string[]) => {
    const item = items.get(image.id) ?? { image, tags: [] };
    for (const t of tags) if (!item.tags.includes(t)) item.tags.push(t);
    items.set(image.id, item);
  };
  for (const name of names) {
    let ref: ReturnType<typeof parseReference> | undefined;
    try {
      ref = parseReference(name, { defaultTag: false });
    } catch {
      ref = undefined;
    }
    const byId =
      /^(sha256:)?[a-f0-9]{6,64}$/.test(name) && images.find(name)?.id.includes(name.replace(/^sha256:/, ""));
    if (ref && !ref.tag && !ref.digest && !byId) {
      const repo = familiarName(ref);
      const matches = images
        .all()
        .map((image) => ({
          image,
          tags: images.tagsOf(image.id).filter((t) => t.slice(0, t.lastIndexOf(":")) === repo),
        }))
        .filter((m) => m.tags.length > 0);
      if (matches.length === 0) throw new NotFoundError(`No such image: ${name}`);
      for (const m of matches) add(m.image, m.tags);
      continue;
    }
    const image = images.find(name);
    if (!image) throw new NotFoundError(`No such image: ${name}`);
    add(image, ref?.tag && !byId ? [familiarTag(`${fullName(ref)}:${ref.tag}`)] : []);
  }
  return [...items.values()];
}

async function uncompressedSize(content: ContentStore, layer: LayerRow): Promise<number> {
  if (layer.blob === layer.diff_id) return content.size(layer.blob);
  if (layer.diff_size !== null && layer.diff_size !== undefined) return layer.diff_size;
  let size = 0;
  for await (const chunk of await decompress(content.openRead(layer.blob))) size += (chunk as Buffer).length;
  return size;
}

function entry(pack: tarStream.Pack, name: string, body: Buffer | Readable, size?: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const header = { name, mode: 0o644, mtime: new Date(0), type: "file" as const };
    if (Buffer.isBuffer(body)) {
      pack.entry({ ...header, size: body.length }, body, (err) => (err ? reject(err) : resolve()));
    } else {
      const sink = pack.entry({ ...header, size }, (err) => (err ? reject(err) : resolve()));
      pipeline(body, sink).catch(reject);
    }
  });
}

function dir(pack: tarStream.Pack, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    pack
      .entry({ name, type: "directory", mode: 0o755, mtime: new Date(0), size: 0 }, (err) =>
        err ? reject(err) : resolve(),
      )
      .end(Buffer.alloc(0));
  });
}

/** Streams the archive of `items`; the stream errors if reading the store fails midway. */
export function saveArchive(images: ImageService, content: ContentStore, items: SaveItem[]): Readable {
  const pack = tarStream.pack();
  const out = new PassThrough();
  pack.pipe(out);
  pack.on("error", () => undefined); // forwarded to `out` below
  const write = async () => {
    await dir(pack, "blobs/");
    await dir(pack, "blobs/sha256/");
    const written = new Set<string>();
    const blob = async (data: Buffer): Promise<string> => {
      const digest = sha256Digest(data);
      if (!written.has(digest)) {
        written.add(digest);
        await entry(pack, `blobs/sha256/${digestHex(digest)}`, data);
      }
      return digest;
    };
    const index: Array<Record<string, unknown>> = [];
    const manifestJson: Array<Record<string, unknown>> = [];
    const repositories: Record<string, Record<string, string>> = {};
    for (const { image, tags } of items) {
      const configBytes = await content.read(image.id);
      await blob(configBytes);
      const layerDescs: Array<{ mediaType: string; digest: string; size: number }> = [];
      for (const layer of images.layersOf(image)) {
        const size = await uncompressedSize(content, layer);
        if (!written.has(layer.diff_id)) {
          written.add(layer.diff_id);
          const source = await decompress(content.openRead(layer.blob));
          await entry(pack, `blobs/sha256/${digestHex(layer.diff_id)}`, source, size);
        }
        layerDescs.push({ mediaType: mediaTypes.layerTar, digest: layer.diff_id, size });
      }
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: mediaTypes.manifest,
          config: { mediaType: mediaTypes.config, digest: image.id, size: configBytes.length },
          layers: layerDescs,
        }),
      );
      const manifestDigest = await blob(manifest);
      const desc = { mediaType: mediaTypes.manifest, digest: manifestDigest, size: manifest.length };
      if (tags.length === 0) index.push(desc);
      for (const tag of tags) {
        const ref = parseReference(tag);
        index.push({
          ...desc,
          annotations: {
            "io.containerd.image.name": `${fullName(ref)}:${ref.tag}`,
            "org.opencontainers.image.ref.name": ref.tag,
          },
        });
        const repo = familiarName(ref);
        repositories[repo] = {
          ...repositories[repo],
          [ref.tag as string]: digestHex(layerDescs.at(-1)?.digest ?? image.id),
        };
      }
      manifestJson.push({
        Config: `blobs/sha256/${digestHex(image.id)}`,
        RepoTags: tags.length > 0 ? tags : null,
        Layers: layerDescs.map((l) => `blobs/sha256/${digestHex(l.digest)}`),
      });
    }
    await entry(
      pack,
      "index.json",
      Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: indexMediaType, manifests: index })),
    );
    await entry(pack, "manifest.json", Buffer.from(JSON.stringify(manifestJson)));
    await entry(pack, "oci-layout", Buffer.from(JSON.stringify({ imageLayoutVersion: "1.0.0" })));
    if (Object.keys(repositories).length > 0)
      await entry(pack, "repositories", Buffer.from(JSON.stringify(repositories)));
    pack.finalize();
  };
  write().catch((err: unknown) => {
    pack.destroy(err as Error);
    out.destroy(err as Error);
  });
  return out;
}
