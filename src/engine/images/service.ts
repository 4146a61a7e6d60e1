// ImageService: image records, tags, and their layer chains. Layers are content-addressed blobs
// (content/) unpacked once into read-only snapshots shared by every container of the image.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import type { Database } from "../../store/db.ts";
import { sha256Digest } from "../../util/digest.ts";
import type { ContentStore } from "../content/store.ts";
import { ConflictError, InvalidParameterError, NotFoundError } from "../errors.ts";
import type { EventBus } from "../events/bus.ts";
import { applyLayer } from "../snapshots/apply.ts";
import type { Snapshotter } from "../snapshots/snapshotter.ts";
import { applyChanges } from "./changes.ts";
import { type ContainerConfig, type ImageConfig, type Manifest, mediaTypes } from "./oci.ts";
import { familiarTag, parseReference, tagKey } from "./reference.ts";

export interface ImageRecord {
  id: string;
  manifestDigest: string;
  created: string;
  size: number;
  /** Chain IDs, bottom layer first. */
  layers: string[];
  lastTagTime?: string;
}

interface LayerRow {
  chain_id: string;
  diff_id: string;
  parent: string | null;
  snapshot: string;
  short: string;
  size: number;
  blob: string;
  media_type: string;
}

export interface ImportOptions {
  repo?: string;
  tag?: string;
  message?: string;
  changes?: string[];
}

/** Who uses an image: answered by the container service, which sits above this one. */
export type ImageUsers = (imageId: string) => Array<{ id: string; running: boolean }>;

function chainId(parent: string | null, diffId: string): string {
  return parent ? sha256Digest(`${parent} ${diffId}`) : diffId;
}

export class ImageService {
  private users: ImageUsers = () => [];
  private readonly db: Database;
  private readonly content: ContentStore;
  private readonly snapshots: Snapshotter;
  private readonly events: EventBus;

  constructor(db: Database, content: ContentStore, snapshots: Snapshotter, events: EventBus) {
    this.db = db;
    this.content = content;
    this.snapshots = snapshots;
    this.events = events;
  }

  setUsers(users: ImageUsers): void {
    this.users = users;
  }

  /** `docker import`: one layer from a rootfs tar, plus a config built from `changes`. */
  async importImage(source: Readable, opts: ImportOptions): Promise<string> {
    const ref = opts.repo ? parseReference(opts.tag ? `${opts.repo}:${opts.tag}` : opts.repo) : undefined;
    const blob = await this.content.ingest(source);
    let layer: LayerRow;
    try {
      layer = await this.addLayer(null, blob.digest, mediaTypes.layerTar);
    } catch (err) {
      // A body that is not a valid tar leaves nothing behind.
      const used = this.db.sql.prepare("SELECT 1 FROM layers WHERE blob = ?").get(blob.digest);
      if (!used) await this.content.delete(blob.digest);
      throw err;
    }
    const created = new Date().toISOString();
    const baseConfig: ContainerConfig = {
      Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    };
    const config: ImageConfig = {
      created,
      architecture: process.arch === "x64" ? "amd64" : process.arch,
      os: "linux",
      config: applyChanges(baseConfig, opts.changes ?? []),
      rootfs: { type: "layers", diff_ids: [blob.digest] },
      history: [{ created, created_by: "", comment: opts.message || "Imported from -" }],
    };
    const id = await this.createImage(config, [layer]);
    if (ref) this.setTag(tagKey(ref), id);
    this.events.publish({ Type: "image", Action: "import", Actor: { ID: id, Attributes: { name: id } } });
    return id;
  }

  /** Stores config + manifest blobs and the image record for layers already present. */
  async createImage(config: ImageConfig, layers: LayerRow[]): Promise<string> {
    const configBlob = await this.content.put(JSON.stringify(config));
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
    const manifestBlob = await this.content.put(JSON.stringify(manifest));
    const record: ImageRecord = {
      id: configBlob.digest,
      manifestDigest: manifestBlob.digest,
      created: config.created ?? new Date(0).toISOString(),
      size: layers.reduce((sum, l) => sum + l.size, 0),
      layers: layers.map((l) => l.chain_id),
    };
    this.db.sql
      .prepare("INSERT OR REPLACE INTO images (id, created, record) VALUES (?, ?, ?)")
      .run(record.id, Date.parse(record.created), JSON.stringify(record));
    return record.id;
  }

  /** Unpacks a layer blob on top of `parent` (a chain ID) unless that chain already exists. */
  async addLayer(parent: string | null, blobDigest: string, mediaType: string): Promise<LayerRow> {
    const diffId = blobDigest; // uncompressed tar blobs: the blob digest is the diff ID
    const id = chainId(parent, diffId);
    const existing = this.layer(id);
    if (existing) return existing;
    const snapshot = createHash("sha256").update(id).digest("hex");
    const short = await this.snapshots.createLayer(snapshot);
    try {
      const applied = await applyLayer(
        createReadStream(this.content.path(blobDigest)),
        this.snapshots.fsDir(snapshot),
      );
      const row: LayerRow = {
        chain_id: id,
        diff_id: diffId,
        parent,
        snapshot,
        short,
        size: applied.size,
        blob: blobDigest,
        media_type: mediaType,
      };
      this.db.sql
        .prepare(
          "INSERT INTO layers (chain_id, diff_id, parent, snapshot, short, size, blob, media_type) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .run(id, diffId, parent, snapshot, short, applied.size, blobDigest, mediaType);
      return row;
    } catch (err) {
      await this.snapshots.remove(snapshot, short);
      throw new InvalidParameterError(`failed to unpack layer: ${(err as Error).message}`);
    }
  }

  private layer(chainIdValue: string): LayerRow | undefined {
    return this.db.sql.prepare("SELECT * FROM layers WHERE chain_id = ?").get(chainIdValue) as
      | LayerRow
      | undefined;
  }

  private setTag(key: string, imageId: string): void {
    this.db.sql.prepare("INSERT OR REPLACE INTO tags (ref, image_id) VALUES (?, ?)").run(key, imageId);
    const record = this.byId(imageId);
    if (record) {
      record.lastTagTime = new Date().toISOString();
      this.save(record);
    }
    this.events.publish({
      Type: "image",
      Action: "tag",
      Actor: { ID: imageId, Attributes: { name: familiarTag(key) } },
    });
  }

  private save(record: ImageRecord): void {
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
    if (!found) throw new NotFoundError(`No such image: ${name}`);
    return found;
  }

  find(name: string): ImageRecord | undefined {
    if (/^(sha256:)?[a-f0-9]{64}$/.test(name))
      return this.byId(name.startsWith("sha256:") ? name : `sha256:${name}`);
    try {
      const ref = parseReference(name);
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

  async config(imageId: string): Promise<ImageConfig> {
    return this.content.readJson<ImageConfig>(imageId);
  }

  /** Short links of the image's layers, topmost first (overlay lowerdir order). */
  lowerLayers(record: ImageRecord): string[] {
    return record.layers.map((id) => (this.layer(id) as LayerRow).short).reverse();
  }

  snapshotDirs(record: ImageRecord): string[] {
    return record.layers.map((id) => this.snapshots.fsDir((this.layer(id) as LayerRow).snapshot)).reverse();
  }

  /** `GET /images/{name}/json` in Docker's shape. */
  async inspect(name: string): Promise<Record<string, unknown>> {
    const image = this.find(name);
    if (!image) throw new NotFoundError(`no such image: ${name}`);
    const config = await this.config(image.id);
    const dirs = this.snapshotDirs(image);
    return {
      Id: image.id,
      RepoTags: this.tagsOf(image.id),
      RepoDigests: [],
      Parent: "",
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
    const byId = !tags.includes(this.normaliseTag(name));

    if (!byId) {
      const user = users[0];
      if (tags.length > 1 || (!user && tags.length === 1) || opts.force) {
        this.untag(name);
        items.push({ Untagged: this.normaliseTag(name) });
        if (tags.length > 1 || user) return items;
      } else {
        throw new ConflictError(
          `conflict: unable to remove repository reference "${name}" (must force) - container ${user?.id.slice(0, 12)} is using its referenced image ${short}`,
        );
      }
    } else {
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
    await this.deleteImage(image);
    items.push({ Deleted: image.id });
    this.events.publish({
      Type: "image",
      Action: "delete",
      Actor: { ID: image.id, Attributes: { name: image.id } },
    });
    return items;
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
    this.db.transaction(() => {
      this.db.sql.prepare("DELETE FROM images WHERE id = ?").run(image.id);
      this.db.sql.prepare("DELETE FROM tags WHERE image_id = ?").run(image.id);
    });
    const doomed = image.layers.filter((l) => !stillUsed.has(l)).map((l) => this.layer(l) as LayerRow);
    for (const layer of doomed) {
      this.db.sql.prepare("DELETE FROM layers WHERE chain_id = ?").run(layer.chain_id);
      await this.snapshots.remove(layer.snapshot, layer.short);
      await this.content.delete(layer.blob);
    }
    await this.content.delete(image.manifestDigest);
    await this.content.delete(image.id);
  }

  count(): number {
    return (this.db.sql.prepare("SELECT COUNT(*) AS n FROM images").get() as { n: number }).n;
  }
}
