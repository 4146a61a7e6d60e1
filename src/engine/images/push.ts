// `POST /images/{name}/push`: uploads an image's blobs that the registry lacks (HEAD first,
// cross-repository mount when the blob is known to be in another repository of the same
// registry, chunked upload for large layers), the config, then the manifest — streaming
// Docker's progress lines. Errors are reported inside the stream (the response is 200).
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { createGzip } from "node:zlib";
import type { AuthConfig } from "../../distribution/client/auth.ts";
import type { RegistryClient, RepositoryClient } from "../../distribution/client/client.ts";
import { DistributionError } from "../../distribution/client/errors.ts";
import type { Descriptor } from "../../distribution/client/manifest.ts";
import {
  canonicalString,
  familiarName,
  familiarString,
  type ImageRef,
  parseImageRef,
  repositoryName,
} from "../../util/reference.ts";
import type { ContentStore } from "../content/store.ts";
import { InvalidParameterError, NotFoundError } from "../errors.ts";
import type { EventBus } from "../events/bus.ts";
import { LayerProgress, type ProgressSink, shortId } from "./progress.ts";
import type { ImageService } from "./service.ts";

/** Which repositories of a registry are known to hold a blob (learnt from pulls and pushes). */
export class BlobSources {
  private readonly byBlob = new Map<string, Set<string>>();

  add(domain: string, path: string, digest: string): void {
    const key = `${domain} ${digest}`;
    let set = this.byBlob.get(key);
    if (!set) {
      set = new Set();
      this.byBlob.set(key, set);
    }
    set.add(path);
    if (set.size > 8) set.delete(set.values().next().value as string);
  }

  /** Other repositories on `domain` with the blob, most recent last. */
  candidates(domain: string, digest: string, except: string): string[] {
    return [...(this.byBlob.get(`${domain} ${digest}`) ?? [])].filter((p) => p !== except);
  }
}

export interface PusherDeps {
  registry: RegistryClient;
  content: ContentStore;
  images: ImageService;
  events: EventBus;
  sources: BlobSources;
  maxConcurrentUploads: number;
  /** Layers larger than this go up in PATCH chunks of this size. */
  chunkSize: number;
}

interface ManifestDoc {
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

/** Plain layer tar media types → the gzip type they are pushed as. */
const uncompressedTypes = new Map([
  ["application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.v1.tar+gzip"],
  ["application/vnd.docker.image.rootfs.diff.tar", "application/vnd.docker.image.rootfs.diff.tar.gzip"],
]);

/** Fast gzip: on two cores compression, not the local network, bounds a push. */
const gzipLevel = 1;

export class ImagePusher {
  private readonly deps: PusherDeps;
  /** Plain layer digest → its gzip form pushed before (the same bytes every time). */
  private readonly compressed = new Map<string, Descriptor>();

  constructor(deps: PusherDeps) {
    this.deps = deps;
  }

  /** The local tags to push: the one asked for, or every tag of the repository. */
  private targets(name: string, tag: string | undefined): ImageRef[] {
    let ref: ImageRef;
    try {
      ref = parseImageRef(name);
    } catch (err) {
      throw new InvalidParameterError((err as Error).message);
    }
    if (ref.digest) throw new InvalidParameterError("cannot push a digest reference");
    if (tag) ref = { ...ref, tag };
    const repo = repositoryName(ref);
    if (ref.tag) {
      if (!this.deps.images.find(canonicalString(ref))) {
        throw new NotFoundError(`An image does not exist locally with the tag: ${familiarName(ref)}`);
      }
      return [ref];
    }
    const tags = new Set<string>();
    for (const image of this.deps.images.all()) {
      for (const t of this.deps.images.tagsOf(image.id)) {
        const r = parseImageRef(t);
        if (repositoryName(r) === repo && r.tag) tags.add(r.tag);
      }
    }
    if (tags.size === 0)
      throw new NotFoundError(`An image does not exist locally with the tag: ${familiarName(ref)}`);
    return [...tags].sort().map((t) => ({ ...ref, tag: t }));
  }

  async push(name: string, tag: string | undefined, auth: AuthConfig, sink: ProgressSink): Promise<void> {
    const refs = this.targets(name, tag);
    const first = refs[0] as ImageRef;
    sink({ status: `The push refers to repository [${repositoryName(first)}]` });
    for (const ref of refs) await this.pushOne(ref, auth, sink);
  }

  private async pushOne(ref: ImageRef, auth: AuthConfig, sink: ProgressSink): Promise<void> {
    const { images, content, registry, sources } = this.deps;
    const record = images.resolve(canonicalString(ref));
    const manifestBytes = await content.read(record.manifestDigest);
    const manifest = JSON.parse(manifestBytes.toString("utf8")) as ManifestDoc;
    const config = await content.readJson<{ rootfs?: { diff_ids?: string[] } }>(manifest.config.digest);
    const diffIds = config.rootfs?.diff_ids ?? [];
    // A layer that already existed when the image was pulled keeps the blob it was stored
    // with (maybe another compression): push that one, and rewrite the manifest to match.
    const rows = images.layersOf(record);
    const local = await Promise.all(
      manifest.layers.map(async (l, i) => {
        if (content.has(l.digest)) return l;
        const row = rows[i];
        if (!row || !content.has(row.blob)) {
          throw new DistributionError(`layer ${l.digest} is missing from the local store`, 500);
        }
        return { mediaType: row.media_type, digest: row.blob, size: await content.size(row.blob) };
      }),
    );
    const session = registry.sessionFor(ref.domain, auth);
    // Ask for pull on the repositories we may mount from in the same token.
    const mountFrom = new Set<string>();
    for (const l of local)
      for (const c of sources.candidates(ref.domain, l.digest, ref.path)) mountFrom.add(c);
    const repo = session.repository(
      ref.path,
      ["pull", "push"],
      [...mountFrom].map((p) => `repository:${p}:pull`),
    );
    // Docker lists layers top first, by their uncompressed (diff) ID.
    const order = local.map((l, i) => ({ layer: l, id: shortId(diffIds[i] ?? l.digest) })).reverse();
    const progress = new Map<string, LayerProgress>();
    for (const { layer, id } of order) {
      if (progress.has(layer.digest)) continue;
      const p = new LayerProgress(sink, id);
      progress.set(layer.digest, p);
      p.status("Preparing");
    }
    const limit = Math.max(1, this.deps.maxConcurrentUploads);
    const queue = [...progress.entries()].map(([digest, p]) => ({
      layer: local.find((l) => l.digest === digest) as Descriptor,
      p,
    }));
    if (queue.length > limit) for (const q of queue.slice(limit)) q.p.status("Waiting");
    let next = 0;
    const pushed = new Map<string, Descriptor>();
    const worker = async () => {
      while (next < queue.length) {
        const item = queue[next++] as (typeof queue)[number];
        pushed.set(item.layer.digest, await this.pushLayer(repo, ref, item.layer, item.p));
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, worker));
    await this.pushBlobQuietly(repo, manifest.config);
    const mediaType = manifest.mediaType ?? "application/vnd.oci.image.manifest.v1+json";
    // Layers compressed for the push change the manifest; otherwise it goes out verbatim.
    const layers = local.map((l) => pushed.get(l.digest) ?? l);
    const body = layers.every((l, i) => l.digest === manifest.layers[i]?.digest)
      ? manifestBytes
      : Buffer.from(JSON.stringify({ ...manifest, layers }));
    const digest = await repo.putManifest(ref.tag as string, mediaType, body);
    for (const l of layers) sources.add(ref.domain, ref.path, l.digest);
    images.addRepoDigest(record.id, `${repositoryName(ref)}@${digest}`);
    sink({ status: `${ref.tag}: digest: ${digest} size: ${body.length}` });
    sink({ progressDetail: {}, aux: { Tag: ref.tag, Digest: digest, Size: body.length } });
    this.deps.events.publish({
      Type: "image",
      Action: "push",
      Actor: { ID: familiarString(ref), Attributes: { name: familiarString(ref) } },
    });
  }

  /** Pushes one layer; returns the descriptor the registry holds (gzip for a plain tar). */
  private async pushLayer(
    repo: RepositoryClient,
    ref: ImageRef,
    layer: Descriptor,
    p: LayerProgress,
  ): Promise<Descriptor> {
    const plain = uncompressedTypes.get(layer.mediaType);
    // What the registry would hold: the layer itself, or the gzip form pushed before.
    const known = plain ? this.compressed.get(layer.digest) : layer;
    let location: string | undefined;
    if (known) {
      if ((await repo.blobSize(known.digest)) !== undefined) {
        p.status("Layer already exists");
        return known;
      }
      const mount = await this.tryMount(repo, ref, known.digest);
      if (mount.from) {
        p.status(`Mounted from ${mount.from}`);
        return known;
      }
      location = mount.location;
      if (!plain) {
        await this.upload(repo, layer, location, (n) => p.bytes("Pushing", n, layer.size));
        p.status("Pushed");
        return layer;
      }
    }
    // A plain tar layer goes up gzip-compressed, as Docker pushes it, hashed while streaming.
    const gzip = createGzip({ level: gzipLevel });
    const source = this.deps.content.openRead(layer.digest);
    source.on("error", (err) => gzip.destroy(err));
    const blob = await repo.uploadStream(source.pipe(gzip), {
      location,
      onBytes: (n) => p.bytes("Pushing", n, layer.size),
    });
    const desc: Descriptor = { mediaType: plain as string, digest: blob.digest, size: blob.size };
    this.compressed.set(layer.digest, desc);
    p.status("Pushed");
    return desc;
  }

  /** Asks to mount the blob from a repository known to hold it; else the upload it opened. */
  private async tryMount(
    repo: RepositoryClient,
    ref: ImageRef,
    digest: string,
  ): Promise<{ from?: string; location?: string }> {
    const from = this.deps.sources.candidates(ref.domain, digest, ref.path).at(-1);
    if (!from) return {};
    const started = await repo.startUpload({ digest, from });
    return started.mounted ? { from } : { location: started.location };
  }

  private async pushBlobQuietly(repo: RepositoryClient, blob: Descriptor): Promise<void> {
    if ((await repo.blobSize(blob.digest)) !== undefined) return;
    await this.upload(repo, blob, undefined);
  }

  private async upload(
    repo: RepositoryClient,
    blob: Descriptor,
    location: string | undefined,
    onBytes?: (n: number) => void,
  ): Promise<void> {
    const path = this.deps.content.path(blob.digest);
    if (!this.deps.content.has(blob.digest)) {
      throw new DistributionError(`blob ${blob.digest} is missing from the local store`, 500);
    }
    await repo.uploadBlob(
      blob,
      (start, end) =>
        end > start
          ? createReadStream(path, { start, end: end - 1, highWaterMark: 1024 * 1024 })
          : Readable.from([]),
      { chunkSize: this.deps.chunkSize, location, onBytes },
    );
  }
}
