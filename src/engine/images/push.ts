// `POST /images/{name}/push`: uploads an image's blobs that the registry lacks (HEAD first,
// cross-repository mount when the blob is known to be in another repository of the same
// registry, chunked upload for large layers), the config, then the manifest — streaming
// Docker's progress lines. Errors are reported inside the stream (the response is 200).
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
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
} from "../../distribution/client/reference.ts";
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

export class ImagePusher {
  private readonly deps: PusherDeps;

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
    const session = registry.sessionFor(ref.domain, auth);
    // Ask for pull on the repositories we may mount from in the same token.
    const mountFrom = new Set<string>();
    for (const l of manifest.layers)
      for (const c of sources.candidates(ref.domain, l.digest, ref.path)) mountFrom.add(c);
    const repo = session.repository(
      ref.path,
      ["pull", "push"],
      [...mountFrom].map((p) => `repository:${p}:pull`),
    );
    // Docker lists layers top first, by their uncompressed (diff) ID.
    const order = manifest.layers
      .map((l, i) => ({ layer: l, id: shortId(diffIds[i] ?? l.digest) }))
      .reverse();
    const progress = new Map<string, LayerProgress>();
    for (const { layer, id } of order) {
      if (progress.has(layer.digest)) continue;
      const p = new LayerProgress(sink, id);
      progress.set(layer.digest, p);
      p.status("Preparing");
    }
    const limit = Math.max(1, this.deps.maxConcurrentUploads);
    const queue = [...progress.entries()].map(([digest, p]) => ({
      layer: manifest.layers.find((l) => l.digest === digest) as Descriptor,
      p,
    }));
    if (queue.length > limit) for (const q of queue.slice(limit)) q.p.status("Waiting");
    let next = 0;
    const worker = async () => {
      while (next < queue.length) {
        const item = queue[next++] as (typeof queue)[number];
        await this.pushLayer(repo, ref, item.layer, item.p);
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, worker));
    await this.pushBlobQuietly(repo, manifest.config);
    const mediaType = manifest.mediaType ?? "application/vnd.oci.image.manifest.v1+json";
    const digest = await repo.putManifest(ref.tag as string, mediaType, manifestBytes);
    for (const l of manifest.layers) sources.add(ref.domain, ref.path, l.digest);
    sink({ status: `${ref.tag}: digest: ${digest} size: ${manifestBytes.length}` });
    sink({ progressDetail: {}, aux: { Tag: ref.tag, Digest: digest, Size: manifestBytes.length } });
    this.deps.events.publish({
      Type: "image",
      Action: "push",
      Actor: { ID: familiarString(ref), Attributes: { name: familiarString(ref) } },
    });
  }

  private async pushLayer(
    repo: RepositoryClient,
    ref: ImageRef,
    layer: Descriptor,
    p: LayerProgress,
  ): Promise<void> {
    if ((await repo.blobSize(layer.digest)) !== undefined) {
      p.status("Layer already exists");
      return;
    }
    let location: string | undefined;
    for (const from of this.deps.sources.candidates(ref.domain, layer.digest, ref.path).reverse()) {
      const started = await repo.startUpload({ digest: layer.digest, from });
      if (started.mounted) {
        p.status(`Mounted from ${from}`);
        return;
      }
      location = started.location;
      break;
    }
    await this.upload(repo, layer, location, (n) => p.bytes("Pushing", n, layer.size));
    p.status("Pushed");
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
