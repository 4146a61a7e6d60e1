// ImageService: image records, tags, and their layer chains. Layers are content-addressed blobs
// (content/) unpacked once into read-only snapshots shared by every container of the image.
import type { Readable } from "node:stream";
import type { Database } from "../../store/db.ts";
import type { ContentStore } from "../content/store.ts";
import { ConflictError, InvalidParameterError, NotFoundError } from "../errors.ts";
import type { EventBus } from "../events/bus.ts";
import type { Snapshotter } from "../snapshots/snapshotter.ts";
import { applyChanges } from "./changes.ts";
import { collectGarbage, type GcResult } from "./gc.ts";
import { type ContainerLayers, LayerUsers } from "./layer-users.ts";
import { type LayerRow, LayerStore, type StagedSnapshot } from "./layers.ts";
import { ImageLoader } from "./load.ts";
import { type ContainerConfig, type ImageConfig, type Manifest, mediaTypes } from "./oci.ts";
import {
  familiarName,
  familiarTag,
  fullName,
  missingImageName,
  parseReference,
  tagKey,
} from "./reference.ts";
import { resolveSaveNames, saveArchive } from "./save.ts";

export function hostArchitecture(): string {
  return process.arch === "x64" ? "amd64" : process.arch;
}

export interface ImageRecord {
  id: string;
  manifestDigest: string;
  created: string;
  size: number;
  /** Chain IDs, bottom layer first. */
  layers: string[];
  lastTagTime?: string;
  /** "docker.io/library/busybox@sha256:…" for images that came from (or went to) a registry. */
  repoDigests?: string[];
  /** The image a commit or build step started from (Docker's "Parent"). */
  parent?: string;
}

export type { LayerRow, StagedSnapshot } from "./layers.ts";

export interface CreateImageOptions {
  /** The manifest exactly as received (pull/load): stored verbatim so its digest is kept. */
  manifest?: Uint8Array;
  /** Docker's Parent image (commit, build). */
  parent?: string;
}

export interface CommitOptions {
  /** Image the container or build step started from (its layers and history are inherited); undefined = scratch. */
  parentImage?: string;
  /** Directory whose contents become the new layer: a container's overlay upper dir. */
  upperDir: string;
  /** The new image's runtime config (Cmd, Env, …); `changes` are applied on top. */
  config: ContainerConfig;
  changes?: string[];
  author?: string;
  comment?: string;
  /** History's created_by (Docker: the container's command; the builder: the step). */
  createdBy?: string;
  /** Record a history entry without a layer (metadata-only build steps); upperDir is ignored. */
  emptyLayer?: boolean;
  /** upperDir is unmounted and not needed afterwards: move it into the layer (no second unpack). */
  moveUpper?: boolean;
  /** Tag the result as repo[:tag]. */
  repo?: string;
  tag?: string;
}

export interface ImportOptions {
  repo?: string;
  tag?: string;
  message?: string;
  changes?: string[];
}

/** Who uses an image: answered by the container service, which sits above this one. */
export type ImageUsers = (imageId: string) => Array<{ id: string; running: boolean }>;

export class ImageService {
  private users: ImageUsers = () => [];
  private readonly db: Database;
  private readonly content: ContentStore;
  private readonly snapshots: Snapshotter;
  private readonly events: EventBus;
  private readonly layers: LayerStore;
  private leases = 0;
  private containerIds: () => Iterable<string> = () => [];
  private readonly layerUsers = new LayerUsers();

  constructor(db: Database, content: ContentStore, snapshots: Snapshotter, events: EventBus) {
    this.db = db;
    this.content = content;
    this.snapshots = snapshots;
    this.events = events;
    this.layers = new LayerStore(db, content, snapshots);
  }

  setUsers(users: ImageUsers): void {
    this.users = users;
  }

  /** Wired by the container service: the short link names of the layers its containers sit on. */
  setContainerLayers(fn: ContainerLayers): void {
    this.layerUsers.setContainerLayers(fn);
  }

  /**
   * API for the builder: keeps `shorts` (and so their chain) on disk while a build uses them,
   * even if every image naming them goes meanwhile. Call the returned function, then
   * releaseLayers, when done.
   */
  pinLayers(shorts: readonly string[]): () => void {
    return this.layerUsers.pin(shorts);
  }

  /** Layers (short link names) containers and builds use now: never deleted. */
  layersInUse(): Set<string> {
    return this.layerUsers.inUse();
  }

  /**
   * After a container or a build stopped using `shorts` (topmost first): removes those that no
   * image reaches and nothing else uses any more — the layers of an image deleted (`rmi -f`)
   * while they were in use.
   */
  async releaseLayers(shorts: readonly string[]): Promise<void> {
    if (shorts.length === 0) return;
    const inUse = this.layersInUse();
    const reached = new Set(this.all().flatMap((i) => i.layers));
    for (const short of shorts) {
      const layer = this.layers.byShort(short);
      if (!layer) continue;
      // A kept layer keeps its parents: stop at the first one.
      if (reached.has(layer.chain_id) || inUse.has(short) || this.layers.hasChild(layer.chain_id)) return;
      await this.layers.remove(layer);
      await this.dropBlobIfUnused(layer.blob);
    }
  }

  /** `docker import`: one layer from a rootfs tar (plain, gzip or zstd), plus a config built from `changes`. */
  async importImage(source: Readable, opts: ImportOptions): Promise<string> {
    const ref = opts.repo ? parseReference(opts.tag ? `${opts.repo}:${opts.tag}` : opts.repo) : undefined;
    return this.withLease(() => this.importLeased(source, opts, ref));
  }

  private async importLeased(
    source: Readable,
    opts: ImportOptions,
    ref: ReturnType<typeof parseReference> | undefined,
  ): Promise<string> {
    // Bad --change lines are refused before the body is read, so they leave no layer behind.
    const runConfig = applyChanges(
      { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] },
      opts.changes ?? [],
    );
    const layer = await this.ingestLayer(null, source, mediaTypes.layerTar);
    const created = new Date().toISOString();
    const config: ImageConfig = {
      created,
      architecture: hostArchitecture(),
      os: "linux",
      config: runConfig,
      rootfs: { type: "layers", diff_ids: [layer.diff_id] },
      history: [{ created, created_by: "", comment: opts.message || "Imported from -" }],
    };
    const id = await this.createImage(config, [layer]);
    if (ref) this.setTag(tagKey(ref), id);
    this.events.publish({ Type: "image", Action: "import", Actor: { ID: id, Attributes: { name: id } } });
    return id;
  }

  /**
   * API for pull/load/build: stores an image record for `config` over `layers` (bottom first,
   * already stored with addLayer/ingestLayer; their diff IDs must equal config.rootfs.diff_ids).
   * `config` given as bytes is stored verbatim (the image ID is their digest); the manifest is
   * taken as given (pull, load) or written here. Returns the image ID ("sha256:…").
   */
  async createImage(
    config: ImageConfig | Uint8Array,
    layers: LayerRow[],
    opts: CreateImageOptions = {},
  ): Promise<string> {
    const configBytes = config instanceof Uint8Array ? config : Buffer.from(JSON.stringify(config));
    let parsed: ImageConfig;
    try {
      parsed =
        config instanceof Uint8Array
          ? (JSON.parse(Buffer.from(config).toString("utf8")) as ImageConfig)
          : config;
    } catch {
      throw new InvalidParameterError("invalid image config: not JSON");
    }
    const diffIds = parsed.rootfs?.diff_ids ?? [];
    if (diffIds.length !== layers.length || diffIds.some((d, i) => d !== layers[i]?.diff_id))
      throw new InvalidParameterError("image config rootfs.diff_ids do not match the layers");
    for (let i = 1; i < layers.length; i++) {
      if (layers[i]?.parent !== layers[i - 1]?.chain_id)
        throw new InvalidParameterError("layers do not form one chain (bottom layer first)");
    }
    const configBlob = await this.content.put(configBytes);
    let manifestBytes: Uint8Array | string | undefined = opts.manifest;
    if (!manifestBytes) {
      const manifest: Manifest = {
        schemaVersion: 2,
        mediaType: mediaTypes.manifest,
        config: { mediaType: mediaTypes.config, digest: configBlob.digest, size: configBlob.size },
        layers: await Promise.all(
          layers.map(async (l) => ({
            mediaType: l.media_type,
            digest: l.blob,
            size: await this.content.size(l.blob),
          })),
        ),
      };
      manifestBytes = JSON.stringify(manifest);
    }
    const manifestBlob = await this.content.put(manifestBytes);
    const previous = this.byId(configBlob.digest);
    const record: ImageRecord = {
      id: configBlob.digest,
      manifestDigest: manifestBlob.digest,
      created: parsed.created ?? new Date(0).toISOString(),
      size: layers.reduce((sum, l) => sum + l.size, 0),
      layers: layers.map((l) => l.chain_id),
      lastTagTime: previous?.lastTagTime,
      repoDigests: previous?.repoDigests,
      parent: opts.parent ?? previous?.parent,
    };
    this.db.sql
      .prepare("INSERT OR REPLACE INTO images (id, created, record) VALUES (?, ?, ?)")
      .run(record.id, Date.parse(record.created) || 0, JSON.stringify(record));
    if (previous && previous.manifestDigest !== record.manifestDigest)
      await this.dropBlobIfUnused(previous.manifestDigest);
    return record.id;
  }

  /**
   * API for pull/load: stores the layer whose blob (plain, gzip or zstd tar; any OCI or Docker
   * layer media type) is already in the content store, on top of `parent` (a chain ID, null for
   * the bottom layer). Pass `diffId` when known (from the image config): an existing chain is
   * then reused without reading the blob, and the unpacked content is verified against it.
   * A chain is unpacked once, also under concurrent calls.
   */
  async addLayer(
    parent: string | null,
    blobDigest: string,
    mediaType: string,
    opts: { diffId?: string } = {},
  ): Promise<LayerRow> {
    return this.layers.add(parent, blobDigest, mediaType, opts.diffId);
  }

  /**
   * API for pull: unpacks a layer while it downloads (its bytes also written to the content store
   * and checked against `blobDigest`) into a snapshot that stays invisible until
   * commitStagedLayer. A failed stream leaves neither snapshot nor blob behind.
   */
  stageLayer(source: Readable, blobDigest: string, mediaType: string): Promise<StagedSnapshot> {
    return this.layers.stage(source, mediaType, blobDigest);
  }

  /** Records a staged layer on `parent` once its diff ID matches; see stageLayer. */
  commitStagedLayer(parent: string | null, staged: StagedSnapshot, diffId: string): Promise<LayerRow> {
    return this.layers.commitStaged(parent, staged, diffId);
  }

  discardStagedLayer(staged: StagedSnapshot): Promise<void> {
    return this.layers.discardStaged(staged);
  }

  /**
   * API for import/build/commit: stores a layer tar given as a stream (its blob is written to the
   * content store, then unpacked on `parent`). A stream that is not a valid layer leaves nothing.
   */
  async ingestLayer(
    parent: string | null,
    source: Readable,
    mediaType: string = mediaTypes.layerTar,
  ): Promise<LayerRow> {
    return this.withLease(() => this.layers.addStream(parent, source, mediaType));
  }

  /**
   * API for commit/build: turns `upperDir` (a container's rw layer) into a new layer on the
   * parent image's chain and records a new image (config from `opts.config` + `changes`, history
   * inherited plus one entry). Returns the new image ID.
   */
  async commit(opts: CommitOptions): Promise<string> {
    return this.withLease(() => this.commitLeased(opts));
  }

  private async commitLeased(opts: CommitOptions): Promise<string> {
    const ref = opts.repo ? parseReference(opts.tag ? `${opts.repo}:${opts.tag}` : opts.repo) : undefined;
    if (ref?.digest) throw new InvalidParameterError("refusing to create a tag with a digest reference");
    const parent = opts.parentImage ? this.resolve(opts.parentImage) : undefined;
    const parentConfig = parent ? await this.config(parent.id) : undefined;
    const layers = parent ? this.layersOf(parent) : [];
    // As Docker's NewChildImage: an empty diff adds no layer, only a history entry marked
    // empty_layer (a commit of a container that changed nothing, a RUN that wrote nothing).
    const emptyLayer = opts.emptyLayer || (await this.snapshots.isEmpty(opts.upperDir));
    if (!emptyLayer) {
      const top = layers.at(-1)?.chain_id ?? null;
      const diff = this.snapshots.diff(opts.upperDir);
      layers.push(
        opts.moveUpper
          ? await this.layers.adoptDir(top, opts.upperDir, diff)
          : await this.ingestLayer(top, diff),
      );
    }
    const created = new Date().toISOString();
    const config: ImageConfig = {
      ...(parentConfig ?? {}),
      created,
      author: opts.author ?? "",
      architecture: parentConfig?.architecture ?? hostArchitecture(),
      os: parentConfig?.os ?? "linux",
      config: applyChanges(opts.config, opts.changes ?? []),
      rootfs: { type: "layers", diff_ids: layers.map((l) => l.diff_id) },
      history: [
        ...(parentConfig?.history ?? []),
        {
          created,
          ...(opts.author ? { author: opts.author } : {}),
          created_by: opts.createdBy ?? "",
          ...(opts.comment ? { comment: opts.comment } : {}),
          ...(emptyLayer ? { empty_layer: true } : {}),
        },
      ],
    };
    if (!opts.author) delete config.author;
    const id = await this.createImage(config, layers, { parent: parent?.id });
    if (ref) this.setTag(tagKey(ref), id);
    return id;
  }

  /** The image's layer rows, bottom first. */
  layersOf(record: ImageRecord): LayerRow[] {
    return record.layers.map((id) => {
      const row = this.layers.get(id);
      if (!row) throw new Error(`image ${record.id} refers to missing layer ${id}`);
      return row;
    });
  }

  /** Records a registry digest reference ("docker.io/library/busybox@sha256:…") for the image. */
  addRepoDigest(imageId: string, repoDigest: string): void {
    const record = this.byId(imageId);
    if (!record) throw new NotFoundError(`No such image: ${imageId}`);
    const ref = parseReference(repoDigest, { defaultTag: false });
    if (!ref.digest) throw new InvalidParameterError(`not a digest reference: ${repoDigest}`);
    const key = `${fullName(ref)}@${ref.digest}`;
    const others = (record.repoDigests ?? []).filter((d) => !d.startsWith(`${fullName(ref)}@`));
    record.repoDigests = [...others, key];
    this.saveRecord(record);
  }

  /** `docker save`: streams the images' archive (see save.ts). Throws 404 before streaming. */
  save(names: string[]): Readable {
    const items = resolveSaveNames(this, names);
    return saveArchive(this, this.content, items);
  }

  /** `docker load`: stores every image of the archive, or nothing (see load.ts). */
  async load(source: Readable): Promise<string[]> {
    const { lines, ids } = await new ImageLoader(this, this.content).load(source);
    for (const id of ids)
      this.events.publish({ Type: "image", Action: "load", Actor: { ID: id, Attributes: { name: id } } });
    return lines;
  }

  /** Containers using the image (answered by the container service). */
  usersOf(imageId: string): Array<{ id: string; running: boolean }> {
    return this.users(imageId);
  }

  /** Bytes of all unpacked layers, each counted once. */
  layersSize(): number {
    return (this.db.sql.prepare("SELECT COALESCE(SUM(size), 0) AS n FROM layers").get() as { n: number }).n;
  }

  /** Wires the garbage collector's view of live container snapshots (see gc.ts). */
  setContainerIds(ids: () => Iterable<string>): void {
    this.containerIds = ids;
  }

  /** Sweeps unreferenced layers and blobs (and, at start-up, snapshot dirs). */
  collectGarbage(sweepDirs: boolean): Promise<GcResult> {
    return collectGarbage(
      {
        db: this.db,
        content: this.content,
        snapshots: this.snapshots,
        images: this,
        containerIds: this.containerIds,
      },
      { sweepDirs },
    );
  }

  /** The layer row of a chain ID, if stored. */
  layer(chain: string): LayerRow | undefined {
    return this.layers.get(chain);
  }

  /**
   * API for pull/build/load: runs `fn` while the orphan sweep of the garbage collector is held
   * off, so layers stored but not yet referenced by an image record survive until it is written.
   */
  async withLease<T>(fn: () => Promise<T>): Promise<T> {
    this.leases++;
    try {
      return await fn();
    } finally {
      this.leases--;
    }
  }

  /** Whether a pull, build or load is storing layers right now (see withLease). */
  leased(): boolean {
    return this.leases > 0;
  }

  /** Removes a layer (and its blob) that no image and no child layer uses. */
  async dropLayerIfUnused(layer: LayerRow): Promise<void> {
    if (this.layers.hasChild(layer.chain_id) || this.layersInUse().has(layer.short)) return;
    if (this.all().some((i) => i.layers.includes(layer.chain_id))) return;
    await this.layers.remove(layer);
    await this.dropBlobIfUnused(layer.blob);
  }

  /** Deletes a blob unless a layer, image config or manifest still refers to it. */
  async dropBlobIfUnused(digest: string): Promise<void> {
    if (this.layers.blobUsed(digest)) return;
    const used = this.db.sql
      .prepare("SELECT 1 FROM images WHERE id = ? OR json_extract(record, '$.manifestDigest') = ? LIMIT 1")
      .get(digest, digest);
    if (!used) await this.content.delete(digest);
  }

  private setTag(key: string, imageId: string): void {
    this.db.sql.prepare("INSERT OR REPLACE INTO tags (ref, image_id) VALUES (?, ?)").run(key, imageId);
    const record = this.byId(imageId);
    if (record) {
      record.lastTagTime = new Date().toISOString();
      this.saveRecord(record);
    }
    this.events.publish({
      Type: "image",
      Action: "tag",
      Actor: { ID: imageId, Attributes: { name: familiarTag(key) } },
    });
  }

  private saveRecord(record: ImageRecord): void {
    this.db.sql.prepare("UPDATE images SET record = ? WHERE id = ?").run(JSON.stringify(record), record.id);
  }

  private byId(id: string): ImageRecord | undefined {
    const row = this.db.sql.prepare("SELECT record FROM images WHERE id = ?").get(id) as
      | { record: string }
      | undefined;
    return row ? (JSON.parse(row.record) as ImageRecord) : undefined;
  }

  all(): ImageRecord[] {
    return (
      this.db.sql.prepare("SELECT record FROM images ORDER BY created DESC").all() as Array<{
        record: string;
      }>
    ).map((r) => JSON.parse(r.record) as ImageRecord);
  }

  tagsOf(imageId: string): string[] {
    return (
      this.db.sql.prepare("SELECT ref FROM tags WHERE image_id = ? ORDER BY ref").all(imageId) as Array<{
        ref: string;
      }>
    ).map((r) => familiarTag(r.ref));
  }

  /** Finds an image by reference, full ID, or unique ID prefix. Throws Docker's 404. */
  resolve(name: string): ImageRecord {
    const found = this.find(name);
    if (!found) throw new NotFoundError(`No such image: ${missingImageName(name)}`);
    return found;
  }

  find(name: string): ImageRecord | undefined {
    if (/^(sha256:)?[a-f0-9]{64}$/.test(name))
      return this.byId(name.startsWith("sha256:") ? name : `sha256:${name}`);
    try {
      const ref = parseReference(name);
      // "repo@sha256:…" (a tag beside the digest is ignored, as in Docker): a recorded RepoDigest.
      if (ref.digest) return this.byRepoDigest(`${fullName(ref)}@${ref.digest}`);
      if (ref.tag) {
        const row = this.db.sql.prepare("SELECT image_id FROM tags WHERE ref = ?").get(tagKey(ref)) as
          | { image_id: string }
          | undefined;
        if (row) return this.byId(row.image_id);
      }
    } catch {
      // not a valid reference: maybe an ID prefix
    }
    const prefix = name.replace(/^sha256:/, "");
    if (/^[a-f0-9]{1,63}$/.test(prefix)) {
      const rows = this.db.sql
        .prepare("SELECT record FROM images WHERE id LIKE ? LIMIT 2")
        .all(`sha256:${prefix}%`) as Array<{ record: string }>;
      if (rows.length === 1) return JSON.parse((rows[0] as { record: string }).record) as ImageRecord;
    }
    return undefined;
  }

  private byRepoDigest(repoDigest: string): ImageRecord | undefined {
    const row = this.db.sql
      .prepare(
        "SELECT record FROM images WHERE EXISTS (SELECT 1 FROM json_each(record, '$.repoDigests') WHERE value = ?) LIMIT 1",
      )
      .get(repoDigest) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as ImageRecord) : undefined;
  }

  async config(imageId: string): Promise<ImageConfig> {
    return this.content.readJson<ImageConfig>(imageId);
  }

  /** Short links of the image's layers, topmost first (overlay lowerdir order). */
  lowerLayers(record: ImageRecord): string[] {
    return this.layersOf(record)
      .map((l) => l.short)
      .reverse();
  }

  /** The image's unpacked layer directories, topmost first. */
  snapshotDirs(record: ImageRecord): string[] {
    return this.layersOf(record)
      .map((l) => this.snapshots.fsDir(l.snapshot))
      .reverse();
  }

  /** `GET /images/{name}/json` in Docker's shape. */
  async inspect(name: string): Promise<Record<string, unknown>> {
    const image = this.find(name);
    // Docker's inspect wraps the lookup error: "no such image: x: No such image: x:latest".
    if (!image) throw new NotFoundError(`no such image: ${name}: No such image: ${missingImageName(name)}`);
    const config = await this.config(image.id);
    const dirs = this.snapshotDirs(image);
    return {
      Id: image.id,
      RepoTags: this.tagsOf(image.id),
      RepoDigests: this.repoDigestsOf(image),
      Parent: image.parent ?? "",
      Comment: config.history?.at(-1)?.comment ?? "",
      Created: config.created ?? image.created,
      Container: "",
      ContainerConfig: {},
      DockerVersion: "",
      Author: config.author ?? "",
      Config: {
        Hostname: "",
        Domainname: "",
        User: "",
        AttachStdin: false,
        AttachStdout: false,
        AttachStderr: false,
        Tty: false,
        OpenStdin: false,
        StdinOnce: false,
        Env: null,
        Cmd: null,
        Image: "",
        Volumes: null,
        WorkingDir: "",
        Entrypoint: null,
        OnBuild: null,
        Labels: null,
        ...config.config,
      },
      Architecture: config.architecture,
      Os: config.os,
      Size: image.size,
      VirtualSize: image.size,
      GraphDriver: {
        Name: "overlay2",
        Data:
          dirs.length > 1
            ? { LowerDir: dirs.slice(1).join(":"), UpperDir: dirs[0] }
            : { UpperDir: dirs[0] ?? "" },
      },
      RootFS: { Type: "layers", Layers: config.rootfs.diff_ids },
      Metadata: { LastTagTime: image.lastTagTime ?? "0001-01-01T00:00:00Z" },
    };
  }

  /** RepoDigests as Docker shows them ("busybox@sha256:…"). */
  repoDigestsOf(image: ImageRecord): string[] {
    return (image.repoDigests ?? []).map((d) => {
      const ref = parseReference(d, { defaultTag: false });
      return `${familiarName(ref)}@${ref.digest}`;
    });
  }

  tag(source: string, repo: string, tag?: string): void {
    const image = this.resolve(source);
    const ref = parseReference(tag ? `${repo}:${tag}` : repo);
    if (ref.digest) throw new InvalidParameterError("refusing to create a tag with a digest reference");
    this.setTag(tagKey(ref), image.id);
  }

  /** `docker rmi`: untags and deletes, with Docker's conflict rules. */
  async remove(
    name: string,
    opts: { force: boolean; prune: boolean },
  ): Promise<Array<Record<string, string>>> {
    const image = this.resolve(name);
    const short = image.id.slice(7, 19);
    const items: Array<Record<string, string>> = [];
    const tags = this.tagsOf(image.id);
    const users = this.users(image.id);
    const digestRef = this.digestReference(name);
    const byId = !digestRef && !tags.includes(this.normaliseTag(name));

    if (digestRef) {
      // Docker's rmi of "repo@sha256:…": only that digest reference goes, then the image if
      // no reference is left.
      if (!opts.force && tags.length + (image.repoDigests ?? []).length === 1 && users[0]) {
        throw new ConflictError(
          `conflict: unable to remove repository reference "${name}" (must force) - container ${users[0].id.slice(0, 12)} is using its referenced image ${short}`,
        );
      }
      this.dropRepoDigests(image, [`${fullName(digestRef)}@${digestRef.digest}`], items);
      if (tags.length > 0 || (image.repoDigests ?? []).length > 0 || users[0]) return items;
    } else if (!byId) {
      const user = users[0];
      if (tags.length > 1 || (!user && tags.length === 1) || opts.force) {
        this.untag(name);
        items.push({ Untagged: this.normaliseTag(name) });
        // With no tag of that repository left, its digest references go too (as in Docker).
        const repo = fullName(parseReference(name));
        const repoTagsLeft = this.tagsOf(image.id).some((t) => fullName(parseReference(t)) === repo);
        if (!repoTagsLeft) {
          this.dropRepoDigests(
            image,
            (image.repoDigests ?? []).filter((d) => d.startsWith(`${repo}@`)),
            items,
          );
        }
        if (tags.length > 1 || user || (image.repoDigests ?? []).length > 0) return items;
      } else {
        throw new ConflictError(
          `conflict: unable to remove repository reference "${name}" (must force) - container ${user?.id.slice(0, 12)} is using its referenced image ${short}`,
        );
      }
    } else {
      if (tags.length === 0 && this.hasChildren(image.id)) {
        throw new ConflictError(
          `conflict: unable to delete ${short} (cannot be forced) - image has dependent child images`,
        );
      }
      const running = users.find((u) => u.running);
      if (running) {
        throw new ConflictError(
          `conflict: unable to delete ${short} (cannot be forced) - image is being used by running container ${running.id.slice(0, 12)}`,
        );
      }
      if (users[0] && !opts.force) {
        throw new ConflictError(
          `conflict: unable to delete ${short} (must be forced) - image is being used by stopped container ${users[0].id.slice(0, 12)}`,
        );
      }
      if (tags.length > 1 && !opts.force) {
        throw new ConflictError(
          `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`,
        );
      }
      for (const t of tags) {
        this.untag(t);
        items.push({ Untagged: t });
      }
    }
    // Untagged, an image that others are built on stays (hidden from `docker images`).
    if (this.hasChildren(image.id)) return items;
    await this.deleteAndAnnounce(image, items);
    if (opts.prune && image.parent) await this.pruneParents(image.parent, items);
    return items;
  }

  /** The reference when `name` is a "repo@sha256:…" digest reference. */
  private digestReference(name: string): ReturnType<typeof parseReference> | undefined {
    if (/^(sha256:)?[a-f0-9]{1,64}$/.test(name)) return undefined;
    try {
      const ref = parseReference(name, { defaultTag: false });
      return ref.digest ? ref : undefined;
    } catch {
      return undefined;
    }
  }

  /** Removes digest references ("registry/repo@sha256:…") from the image, reporting each. */
  private dropRepoDigests(image: ImageRecord, keys: string[], items: Array<Record<string, string>>): void {
    if (keys.length === 0) return;
    image.repoDigests = (image.repoDigests ?? []).filter((d) => !keys.includes(d));
    this.saveRecord(image);
    for (const key of keys) {
      const ref = parseReference(key, { defaultTag: false });
      const familiar = `${familiarName(ref)}@${ref.digest}`;
      items.push({ Untagged: familiar });
      this.events.publish({
        Type: "image",
        Action: "untag",
        Actor: { ID: image.id, Attributes: { name: familiar } },
      });
    }
  }

  /**
   * After a delete, Docker also deletes the parent chain (a build's intermediate images, a
   * commit's base) as long as each parent is dangling — no tag, no digest, no other child — and
   * no container uses it; it stops quietly at the first one that is kept.
   */
  private async pruneParents(parentId: string, items: Array<Record<string, string>>): Promise<void> {
    for (let id: string | undefined = parentId; id; ) {
      const parent = this.byId(id);
      if (!parent) return;
      if (this.tagsOf(parent.id).length > 0 || (parent.repoDigests ?? []).length > 0) return;
      if (this.hasChildren(parent.id) || this.users(parent.id).length > 0) return;
      await this.deleteAndAnnounce(parent, items);
      id = parent.parent;
    }
  }

  /** Deletes the image, reports it in the delete response and as an event. */
  private async deleteAndAnnounce(image: ImageRecord, items: Array<Record<string, string>>): Promise<void> {
    await this.deleteImage(image);
    items.push({ Deleted: image.id });
    this.events.publish({
      Type: "image",
      Action: "delete",
      Actor: { ID: image.id, Attributes: { name: image.id } },
    });
  }

  /** Whether some image names this one as its Parent. */
  private hasChildren(imageId: string): boolean {
    return (
      this.db.sql
        .prepare("SELECT 1 FROM images WHERE json_extract(record, '$.parent') = ? LIMIT 1")
        .get(imageId) !== undefined
    );
  }

  private normaliseTag(name: string): string {
    try {
      return familiarTag(tagKey(parseReference(name)));
    } catch {
      return name;
    }
  }

  private untag(name: string): void {
    const key = tagKey(parseReference(name));
    const row = this.db.sql.prepare("SELECT image_id FROM tags WHERE ref = ?").get(key) as
      | { image_id: string }
      | undefined;
    this.db.sql.prepare("DELETE FROM tags WHERE ref = ?").run(key);
    if (row) {
      this.events.publish({
        Type: "image",
        Action: "untag",
        Actor: { ID: row.image_id, Attributes: { name: familiarTag(key) } },
      });
    }
  }

  /** Deletes the image record, then every layer and blob no other image still uses. */
  private async deleteImage(image: ImageRecord): Promise<void> {
    const others = this.all().filter((i) => i.id !== image.id);
    const stillUsed = new Set(others.flatMap((i) => i.layers));
    const inUse = this.layersInUse();
    this.db.transaction(() => {
      this.db.sql.prepare("DELETE FROM images WHERE id = ?").run(image.id);
      this.db.sql.prepare("DELETE FROM tags WHERE image_id = ?").run(image.id);
    });
    // A layer a container or build uses stays (with its parents): releaseLayers takes it later.
    const doomed: LayerRow[] = [];
    for (const id of [...image.layers].reverse()) {
      const layer = this.layers.get(id);
      if (!layer) continue;
      if (stillUsed.has(id) || inUse.has(layer.short)) break;
      doomed.push(layer);
    }
    for (const layer of doomed) {
      await this.layers.remove(layer);
      await this.dropBlobIfUnused(layer.blob);
    }
    await this.dropBlobIfUnused(image.manifestDigest);
    await this.dropBlobIfUnused(image.id);
  }

  count(): number {
    return (this.db.sql.prepare("SELECT COUNT(*) AS n FROM images").get() as { n: number }).n;
  }
}
