// `POST /images/create?fromImage=`: resolve the reference (before any byte of the response, so
// "manifest unknown" is a real 404), then download missing layers concurrently into the
// content store (every byte digest-checked, resumed after drops), unpack them in order, and
// record the image — streaming Docker's progress lines. A failed pull leaves no image and
// no blob it downloaded.

import type { Readable } from "node:stream";
import type { AuthConfig } from "../../distribution/client/auth.ts";
import type { RegistryClient, RepositoryClient, ResolvedImage } from "../../distribution/client/client.ts";
import { DistributionError, RegistryResponseError } from "../../distribution/client/errors.ts";
import {
  type Descriptor,
  hostPlatform,
  type ImageManifest,
  type ManifestIndex,
  manifestKind,
  type Platform,
  parsePlatform,
} from "../../distribution/client/manifest.ts";
import { sha256Digest } from "../../util/digest.ts";
import {
  canonicalString,
  familiarName,
  familiarString,
  type ImageRef,
  InvalidReferenceError,
  parseImageRef,
  refFromPullParams,
} from "../../util/reference.ts";
import type { ContentStore } from "../content/store.ts";
import { InvalidParameterError } from "../errors.ts";
import type { EventBus } from "../events/bus.ts";
import { LayerProgress, type ProgressSink, shortId } from "./progress.ts";

/** What a pull needs from the image store. */
export interface PullStore {
  /** Whether the layer chain already exists (its download can be skipped). */
  hasLayer(chainId: string, blob: Descriptor): boolean;
  /** Unpacks a verified blob (already in the content store) on `parent`; returns the chain ID. */
  registerLayer(parent: string | null, blob: Descriptor, diffId: string): Promise<string>;
  /**
   * Unpacks a layer from its download stream while its bytes are written to the content store
   * (checked against blob.digest). Nothing is visible until commit; on error the snapshot and
   * the partial blob are gone before this rejects.
   */
  stageLayer(blob: Descriptor, source: Readable): Promise<StagedLayer>;
  /** Records the image (config + ordered layers + the manifest pulled); returns its ID. */
  createImage(image: PulledImage): Promise<string>;
  /** The image ID a canonical "repo:tag" points at now. */
  tagged(canonicalTag: string): string | undefined;
  tag(canonicalTag: string, imageId: string): void;
  /** Deletes a blob a failed pull wrote unless a layer or image uses it. */
  dropBlobIfUnused(digest: string): Promise<void>;
  /** Runs the pull with the store's garbage collection of unreferenced layers held off. */
  withLease<T>(fn: () => Promise<T>): Promise<T>;
}

/** A layer unpacked while it downloaded, not yet part of the store. */
export interface StagedLayer {
  /** Records it on `parent` once its content matches `diffId`; returns the chain ID. */
  commit(parent: string | null, diffId: string): Promise<string>;
  /** Removes it (a pull that failed, or a second use of the same blob). */
  discard(): Promise<void>;
}

export interface PulledImage {
  ref: ImageRef;
  config: Buffer;
  configDigest: string;
  manifest: Buffer;
  manifestDigest: string;
  mediaType: string;
  /** "127.0.0.1:5000/app@sha256:…" — the digest the reference resolved to. */
  repoDigest: string;
  /** Chain IDs, bottom first. */
  layers: string[];
}

export interface PullerDeps {
  registry: RegistryClient;
  content: ContentStore;
  store: PullStore;
  events: EventBus;
  maxConcurrentDownloads: number;
  /** Called for each blob pulled from a repository (cross-repo mounts on later pushes). */
  onBlobSource?: (domain: string, path: string, digest: string) => void;
}

export interface DistributionInspect {
  Descriptor: { mediaType: string; digest: string; size: number };
  Platforms: Platform[];
}

export interface PullRequest {
  fromImage: string;
  tag?: string;
  platform?: string;
  auth: AuthConfig;
}

/** chainID(n) = sha256(chainID(n-1) + " " + diffID(n)), as Docker and containerd compute it. */
export function chainId(parent: string | null, diffId: string): string {
  return parent ? sha256Digest(`${parent} ${diffId}`) : diffId;
}

/** Docker's translatePullError: registry codes into "pull access denied…", "manifest … not found". */
export function translatePullError(err: unknown, ref: ImageRef): Error {
  if (err instanceof RegistryResponseError && err.errors.length > 0) {
    const first = err.errors[0] as { code: string; message?: string };
    const cause = `${first.code.toLowerCase().replaceAll("_", " ")}: ${first.message ?? ""}`;
    switch (first.code) {
      case "DENIED":
        return new DistributionError(
          `pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': ${cause}`,
          404,
        );
      case "MANIFEST_UNKNOWN":
        return new DistributionError(`manifest for ${familiarString(ref)} not found: ${cause}`, 404);
      case "NAME_UNKNOWN":
        return new DistributionError(`repository ${familiarName(ref)} not found: ${cause}`, 404);
    }
  }
  return err instanceof Error ? err : new Error(String(err));
}

interface PlannedTag {
  ref: ImageRef;
  repo: RepositoryClient;
  resolved: ResolvedImage;
}

/** A pull whose reference is resolved; run() streams the rest. */
export class PullJob {
  private readonly deps: PullerDeps;
  private readonly ref: ImageRef;
  private readonly planned: PlannedTag | undefined;
  /** For a pull of every tag (no tag or digest given): the repository's tags. */
  private readonly allTags: string[] | undefined;
  private readonly resolveTag: (ref: ImageRef) => Promise<PlannedTag>;

  constructor(
    deps: PullerDeps,
    ref: ImageRef,
    planned: PlannedTag | undefined,
    allTags: string[] | undefined,
    resolveTag: (ref: ImageRef) => Promise<PlannedTag>,
  ) {
    this.deps = deps;
    this.ref = ref;
    this.planned = planned;
    this.allTags = allTags;
    this.resolveTag = resolveTag;
  }

  /**
   * `signal` is the request's context: when the client goes away, downloads stop and the pull
   * fails like any other (partial blobs and staged layers removed, no image recorded).
   */
  async run(sink: ProgressSink, signal?: AbortSignal): Promise<void> {
    if (this.planned) {
      const status = await this.pullOne(this.planned, sink, signal);
      sink({ status: `Status: ${status} for ${familiarString(this.planned.ref)}` });
      return;
    }
    let updated = false;
    for (const tag of this.allTags ?? []) {
      signal?.throwIfAborted();
      const plan = await this.resolveTag({ ...this.ref, tag });
      updated = (await this.pullOne(plan, sink, signal)).startsWith("Downloaded") || updated;
    }
    const name = familiarName(this.ref);
    sink({
      status: updated
        ? `Status: Downloaded newer image for ${name}`
        : `Status: Image is up to date for ${name}`,
    });
  }

  /** Pulls one resolved image; returns Docker's final status words. */
  private pullOne(plan: PlannedTag, sink: ProgressSink, signal: AbortSignal | undefined): Promise<string> {
    return this.deps.store.withLease(() => this.pullLeased(plan, sink, signal));
  }

  private async pullLeased(
    plan: PlannedTag,
    sink: ProgressSink,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const { ref, repo, resolved } = plan;
    const { store, content, events } = this.deps;
    sink({
      status: `Pulling from ${ref.path}`,
      id: ref.digest && !ref.tag ? familiarString(ref) : (ref.tag ?? ""),
    });
    const config = JSON.parse(resolved.config.toString("utf8")) as { rootfs?: { diff_ids?: string[] } };
    const diffIds = config.rootfs?.diff_ids ?? [];
    const layers = resolved.manifest.layers;
    if (diffIds.length !== layers.length) {
      throw new DistributionError(
        `invalid image: the config lists ${diffIds.length} layers, the manifest ${layers.length}`,
        500,
      );
    }
    const chains: string[] = [];
    for (const diffId of diffIds) chains.push(chainId(chains.at(-1) ?? null, diffId));
    const present = layers.map((l, i) => store.hasLayer(chains[i] as string, l));
    const progress = layers.map((l) => new LayerProgress(sink, shortId(l.digest)));
    const announced = new Set<string>();
    layers.forEach((l, i) => {
      if (announced.has(l.digest)) return;
      announced.add(l.digest);
      progress[i]?.status(present[i] ? "Already exists" : "Pulling fs layer");
    });

    const downloaded: string[] = [];
    // Per blob: the layer unpacked while it downloaded, or undefined when the blob was already
    // in the content store (then it is unpacked from there, in order).
    const downloads = new Map<string, Promise<StagedLayer | undefined>>();
    const uncommitted = new Set<StagedLayer>();
    const limit = new Limiter(this.deps.maxConcurrentDownloads);
    const streams = new Set<{ destroy(err?: Error): void }>();
    let failed = false;
    const download = (desc: Descriptor, p: LayerProgress) => {
      let task = downloads.get(desc.digest);
      if (task) return task;
      if (content.has(desc.digest)) {
        task = Promise.resolve(undefined);
        p.status("Download complete");
      } else {
        if (!limit.free()) p.status("Waiting");
        task = limit.run(async () => {
          signal?.throwIfAborted();
          if (failed) throw new Error("pull aborted");
          if (
            desc.urls?.length ||
            desc.mediaType.includes("foreign") ||
            desc.mediaType.includes("nondistributable")
          ) {
            throw new DistributionError(`foreign layer ${desc.digest} is not supported`, 500);
          }
          // One pass over the bytes: the reader resumes dropped connections with Range and
          // errors before its end on a digest mismatch, so the unpacker sees one stream.
          const reader = repo.blobReader(desc, (n) => p.bytes("Downloading", n, desc.size), signal);
          streams.add(reader);
          let staged: StagedLayer;
          try {
            staged = await store.stageLayer(desc, reader);
          } finally {
            streams.delete(reader);
          }
          uncommitted.add(staged);
          downloaded.push(desc.digest);
          this.deps.onBlobSource?.(ref.domain, ref.path, desc.digest);
          p.status("Verifying Checksum");
          p.status("Download complete");
          return staged;
        });
      }
      downloads.set(desc.digest, task);
      return task;
    };

    const wanted = layers.map((l, i) =>
      present[i] ? Promise.resolve(undefined) : download(l, progress[i] as LayerProgress),
    );
    for (const w of wanted) w.catch(() => {});
    const cancel = () => {
      failed = true;
      for (const s of streams) s.destroy(signal?.reason as Error);
    };
    signal?.addEventListener("abort", cancel, { once: true });
    try {
      signal?.throwIfAborted();
      let parent: string | null = null;
      const registered: string[] = [];
      // Committed bottom-up: a layer's chain ID needs its parent's.
      for (const [i, layer] of layers.entries()) {
        const p = progress[i] as LayerProgress;
        const staged = await wanted[i];
        signal?.throwIfAborted();
        if (present[i]) {
          parent = chains[i] as string;
        } else {
          p.bytes("Extracting", layer.size, layer.size);
          if (staged && uncommitted.delete(staged)) {
            parent = await staged.commit(parent, diffIds[i] as string);
          } else {
            // The blob was already stored, or this pull used it lower down already.
            parent = await store.registerLayer(parent, layer, diffIds[i] as string);
          }
          p.status("Pull complete");
        }
        registered.push(parent);
      }
      signal?.throwIfAborted();
      const configDigest = resolved.manifest.config.digest;
      const imageId = await store.createImage({
        ref,
        config: resolved.config,
        configDigest,
        manifest: resolved.manifestBytes,
        manifestDigest: resolved.manifestDigest,
        mediaType: resolved.mediaType,
        repoDigest: `${ref.domain}/${ref.path}@${resolved.resolvedDigest}`,
        layers: registered,
      });
      let upToDate = downloaded.length === 0;
      if (ref.tag) {
        const key = canonicalString({ ...ref, digest: undefined });
        upToDate = upToDate && store.tagged(key) === imageId;
        store.tag(key, imageId);
      }
      sink({ status: `Digest: ${resolved.resolvedDigest}` });
      events.publish({
        Type: "image",
        Action: "pull",
        Actor: { ID: familiarString(ref), Attributes: { name: familiarString(ref) } },
      });
      return upToDate ? "Image is up to date" : "Downloaded newer image";
    } catch (err) {
      failed = true;
      for (const s of streams) s.destroy(new Error("pull aborted"));
      await Promise.allSettled(wanted);
      for (const staged of uncommitted) await staged.discard().catch(() => undefined);
      // Blobs this pull wrote and nothing uses: gone, so a failed pull leaves the store as before.
      for (const digest of downloaded) await store.dropBlobIfUnused(digest);
      throw err;
    } finally {
      signal?.removeEventListener("abort", cancel);
    }
  }
}

/** A counting semaphore. */
class Limiter {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  private readonly max: number;

  constructor(max: number) {
    this.max = Math.max(1, max);
  }

  free(): boolean {
    return this.active < this.max;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

export class ImagePuller {
  private readonly deps: PullerDeps;

  constructor(deps: PullerDeps) {
    this.deps = deps;
  }

  /**
   * Everything that can fail before the response starts: the reference, the platform, the
   * registry's answer for the manifest. A name without tag or digest pulls every tag.
   */
  async prepare(req: PullRequest): Promise<PullJob> {
    let ref: ImageRef;
    let platform: Platform;
    try {
      ref = refFromPullParams(req.fromImage, req.tag);
      platform = req.platform ? parsePlatform(req.platform) : hostPlatform();
    } catch (err) {
      throw new InvalidParameterError((err as Error).message);
    }
    const resolveTag = (r: ImageRef) => this.resolve(r, req.auth, platform);
    if (!ref.tag && !ref.digest) {
      const { result: tags } = await this.firstWorking(ref, req.auth, (repo) => repo.tags());
      return new PullJob(this.deps, ref, undefined, tags, resolveTag);
    }
    return new PullJob(this.deps, ref, await resolveTag(ref), undefined, resolveTag);
  }

  /** GET /distribution/{name}/json: the descriptor a reference resolves to, and its platforms. */
  async inspect(name: string, auth: AuthConfig): Promise<DistributionInspect> {
    let ref: ImageRef;
    try {
      ref = parseImageRef(name);
    } catch (err) {
      throw new InvalidParameterError((err as Error).message);
    }
    const reference = ref.digest ?? ref.tag ?? "latest";
    const { repo, result } = await this.firstWorking(ref, auth, (r) => r.getManifest(reference));
    const descriptor = { mediaType: result.mediaType, digest: result.digest, size: result.bytes.length };
    if (manifestKind(result.mediaType, result.json) === "index") {
      const entries = (result.json as unknown as ManifestIndex).manifests;
      return { Descriptor: descriptor, Platforms: entries.flatMap((e) => (e.platform ? [e.platform] : [])) };
    }
    const manifest = result.json as unknown as ImageManifest;
    const config = JSON.parse(
      (await repo.fetchSmallBlob(manifest.config)).toString("utf8"),
    ) as Partial<Platform>;
    const platform: Platform = { architecture: config.architecture ?? "", os: config.os ?? "" };
    if (config.variant) platform.variant = config.variant;
    return { Descriptor: descriptor, Platforms: [platform] };
  }

  private async resolve(ref: ImageRef, auth: AuthConfig, platform: Platform): Promise<PlannedTag> {
    const reference = ref.digest ?? ref.tag ?? "latest";
    const { repo, result } = await this.firstWorking(ref, auth, (repo) => repo.resolve(reference, platform));
    return { ref, repo, resolved: result };
  }

  /** Tries mirrors then the registry itself; the registry's own error is the one reported. */
  private async firstWorking<T>(
    ref: ImageRef,
    auth: AuthConfig,
    fn: (repo: RepositoryClient) => Promise<T>,
  ): Promise<{ repo: RepositoryClient; result: T }> {
    const endpoints = this.deps.registry.hosts.pullEndpoints(ref.domain);
    let last: unknown;
    for (const endpoint of endpoints) {
      // Credentials go to the registry they were given for, never to a mirror.
      const creds = endpoint.mirror ? {} : auth;
      const repo = this.deps.registry.session(endpoint, creds).repository(ref.path, ["pull"]);
      try {
        return { repo, result: await fn(repo) };
      } catch (err) {
        last = err;
        if (err instanceof InvalidReferenceError) break;
      }
    }
    throw translatePullError(last, ref);
  }
}
