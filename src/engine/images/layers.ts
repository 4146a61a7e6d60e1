// Layer chains: each layer row is one unpacked snapshot, keyed by its chain ID (OCI
// image-spec: ChainID(L0) = DiffID(L0), ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))).
// A chain is unpacked once, however many images or concurrent pulls ask for it.
import { randomBytes } from "node:crypto";
import { rename, rm } from "node:fs/promises";
import { PassThrough, type Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Database } from "../../store/db.ts";
import { sha256Digest } from "../../util/digest.ts";
import type { ContentStore } from "../content/store.ts";
import { EngineError, InvalidParameterError } from "../errors.ts";
import { type ApplyResult, applyLayer } from "../snapshots/apply.ts";
import type { Snapshotter } from "../snapshots/snapshotter.ts";
import { TarHeaderScanner } from "../snapshots/tar-headers.ts";
import { mediaTypes } from "./oci.ts";

export interface LayerRow {
  chain_id: string;
  diff_id: string;
  parent: string | null;
  snapshot: string;
  short: string;
  /** Uncompressed content bytes. */
  size: number;
  /** Digest of the blob in the content store (compressed or not). */
  blob: string;
  media_type: string;
  /** Bytes of the uncompressed tar (null for layers stored before this was recorded). */
  diff_size: number | null;
}

/** An unpacked layer not yet recorded (see LayerStore.stage). */
export interface StagedSnapshot {
  snapshot: string;
  short: string;
  applied: ApplyResult;
  /** Digest of the blob written to the content store. */
  blob: string;
  mediaType: string;
}

/** Layers one image may have, as Docker (maxLayerDepth in moby's layer/layer_store.go). */
export const maxLayerDepth = 125;

export function chainId(parent: string | null, diffId: string): string {
  return parent ? sha256Digest(`${parent} ${diffId}`) : diffId;
}

export class LayerStore {
  private readonly db: Database;
  private readonly content: ContentStore;
  private readonly snapshots: Snapshotter;
  /** Unpacks under way, by chain ID (when known up front) so concurrent callers share one. */
  private readonly inflight = new Map<string, Promise<LayerRow>>();

  constructor(db: Database, content: ContentStore, snapshots: Snapshotter) {
    this.db = db;
    this.content = content;
    this.snapshots = snapshots;
  }

  get(id: string): LayerRow | undefined {
    return this.db.sql.prepare("SELECT * FROM layers WHERE chain_id = ?").get(id) as LayerRow | undefined;
  }

  byShort(short: string): LayerRow | undefined {
    return this.db.sql.prepare("SELECT * FROM layers WHERE short = ?").get(short) as LayerRow | undefined;
  }

  /** Whether another layer is stacked on this one. */
  hasChild(chain: string): boolean {
    return this.db.sql.prepare("SELECT 1 FROM layers WHERE parent = ? LIMIT 1").get(chain) !== undefined;
  }

  /**
   * Refuses a new layer on `parent` when the parent is unknown or when the chain would pass
   * Docker's 125 layers (its layer store's maxLayerDepth): "max depth exceeded", as Docker.
   */
  private checkParent(parent: string | null): void {
    if (!parent) return;
    if (!this.get(parent)) throw new InvalidParameterError(`parent layer ${parent} does not exist`);
    const depth = this.db.sql
      .prepare(
        `WITH RECURSIVE chain(id, n) AS (
           SELECT ?, 1
           UNION ALL SELECT l.parent, chain.n + 1 FROM layers l JOIN chain ON l.chain_id = chain.id
           WHERE l.parent IS NOT NULL)
         SELECT MAX(n) AS n FROM chain`,
      )
      .get(parent) as { n: number };
    if (depth.n >= maxLayerDepth) throw new EngineError("max depth exceeded");
  }

  all(): LayerRow[] {
    return this.db.sql.prepare("SELECT * FROM layers").all() as unknown as LayerRow[];
  }

  async add(parent: string | null, blob: string, mediaType: string, diffId?: string): Promise<LayerRow> {
    this.checkParent(parent);
    if (!this.content.has(blob)) throw new InvalidParameterError(`blob ${blob} is not in the content store`);
    if (diffId) {
      const id = chainId(parent, diffId);
      const existing = this.get(id);
      if (existing) return existing;
      const running = this.inflight.get(id);
      if (running) return running;
      const p = this.unpack(parent, blob, mediaType, diffId).finally(() => this.inflight.delete(id));
      this.inflight.set(id, p);
      return p;
    }
    return this.unpack(parent, blob, mediaType, undefined);
  }

  /** Unpacks into a fresh snapshot; the row is written only once the diff ID is verified. */
  private async unpack(
    parent: string | null,
    blob: string,
    mediaType: string,
    expectedDiffId: string | undefined,
  ): Promise<LayerRow> {
    const snapshot = randomBytes(16).toString("hex");
    const short = await this.snapshots.createLayer(snapshot);
    let applied: ApplyResult;
    try {
      applied = await applyLayer(this.content.openRead(blob) as Readable, this.snapshots.fsDir(snapshot));
      if (expectedDiffId && applied.diffId !== expectedDiffId)
        throw new Error(
          `diff ID mismatch: layer ${blob} unpacks to ${applied.diffId}, expected ${expectedDiffId}`,
        );
    } catch (err) {
      await this.snapshots.remove(snapshot, short).catch(() => undefined); // swept by gc if this fails
      throw new InvalidParameterError(`failed to register layer: ${(err as Error).message}`);
    }
    const row = this.insert(parent, applied, snapshot, short, blob, mediaType);
    if (!row) {
      await this.snapshots.remove(snapshot, short);
      return this.get(chainId(parent, applied.diffId)) as LayerRow;
    }
    return row;
  }

  /**
   * Stores a layer given as a stream: the bytes go to the content store and to the unpacker at
   * the same time (one pass, no reading back). Returns the row and the blob digest.
   */
  async addStream(parent: string | null, source: Readable, mediaType: string): Promise<LayerRow> {
    this.checkParent(parent);
    const staged = await this.stage(source, mediaType);
    const row = await this.commitStaged(parent, staged);
    if (row.snapshot !== staged.snapshot && !this.blobUsed(staged.blob))
      await this.content.delete(staged.blob);
    return row;
  }

  /**
   * Unpacks a layer stream into a fresh snapshot nothing refers to yet, while the same bytes are
   * written to the content store (verified against `expectedBlob` when given). On any error —
   * a source that fails or is cut short, a digest mismatch, a bad tar — the snapshot and the blob
   * it wrote are removed before this rejects. commitStaged makes the result a layer.
   */
  async stage(source: Readable, mediaType: string, expectedBlob?: string): Promise<StagedSnapshot> {
    const snapshot = randomBytes(16).toString("hex");
    const short = await this.snapshots.createLayer(snapshot);
    const toBlob = new PassThrough({ highWaterMark: 1 << 20 });
    const toTar = new PassThrough({ highWaterMark: 1 << 20 });
    const fanout = new Writable({
      highWaterMark: 1 << 20,
      write(chunk: Buffer, _enc, done) {
        let pending = 2;
        const one = () => {
          if (--pending === 0) done();
        };
        for (const out of [toBlob, toTar]) {
          if (out.destroyed || out.write(chunk)) one();
          else out.once("drain", one);
        }
      },
      final(done) {
        toBlob.end();
        toTar.end();
        done();
      },
    });
    const hadBlob = expectedBlob !== undefined && this.content.has(expectedBlob);
    const ingesting = this.content.ingest(toBlob, expectedBlob);
    const applying = applyLayer(toTar, this.snapshots.fsDir(snapshot));
    const feeding = pipeline(source, fanout);
    try {
      const [b, a] = await Promise.all([ingesting, applying, feeding]);
      return { snapshot, short, applied: a, blob: b.digest, mediaType };
    } catch (err) {
      const keep = hadBlob ? expectedBlob : undefined;
      throw await this.abandon(
        err,
        [source, fanout, toBlob, toTar],
        ingesting,
        [applying, feeding],
        snapshot,
        short,
        keep,
      );
    }
  }

  /**
   * Records a staged snapshot as the layer on `parent`, after checking its diff ID when one is
   * expected. If the same chain was registered meanwhile, that one is returned and the staged
   * copy removed. Blobs are left alone (the caller knows whether it wrote them).
   */
  async commitStaged(
    parent: string | null,
    staged: StagedSnapshot,
    expectedDiffId?: string,
  ): Promise<LayerRow> {
    if (expectedDiffId && staged.applied.diffId !== expectedDiffId) {
      await this.discardStaged(staged);
      throw new InvalidParameterError(
        `failed to register layer: diff ID mismatch: layer ${staged.blob} unpacks to ${staged.applied.diffId}, expected ${expectedDiffId}`,
      );
    }
    try {
      this.checkParent(parent);
    } catch (err) {
      await this.discardStaged(staged);
      throw err;
    }
    if (!this.content.has(staged.blob)) {
      // A concurrent failed pull of the same blob dropped it: never record a layer without it.
      await this.discardStaged(staged);
      throw new InvalidParameterError(`failed to register layer: blob ${staged.blob} was removed meanwhile`);
    }
    const row = this.insert(
      parent,
      staged.applied,
      staged.snapshot,
      staged.short,
      staged.blob,
      staged.mediaType,
    );
    if (row) return row;
    await this.discardStaged(staged);
    return this.get(chainId(parent, staged.applied.diffId)) as LayerRow;
  }

  /** Removes a staged snapshot that will not be committed. */
  async discardStaged(staged: StagedSnapshot): Promise<void> {
    await this.snapshots.remove(staged.snapshot, staged.short);
  }

  /**
   * Stores `dir` (an unmounted overlay upper dir: whiteouts and opaque markers already in
   * overlay form) as a layer by moving it into a snapshot instead of unpacking its diff again:
   * the diff only goes to the content store (and its headers are counted for the size). For
   * big copies this halves the files written. `dir` is gone afterwards, whatever happens.
   */
  async adoptDir(parent: string | null, dir: string, diff: Readable): Promise<LayerRow> {
    try {
      this.checkParent(parent);
    } catch (err) {
      diff.destroy();
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    const snapshot = randomBytes(16).toString("hex");
    const short = await this.snapshots.createLayer(snapshot);
    let size = 0;
    const counted = new TarHeaderScanner((m) => {
      if (m.type === "0" || m.type === "7") size += m.size;
    });
    const toBlob = new PassThrough({ highWaterMark: 1 << 20 });
    const ingesting = this.content.ingest(toBlob);
    const feeding = pipeline(diff, counted, toBlob);
    let blob: { digest: string; size: number };
    try {
      [blob] = await Promise.all([ingesting, feeding]);
      await rm(this.snapshots.fsDir(snapshot), { recursive: true });
      await rename(dir, this.snapshots.fsDir(snapshot));
    } catch (err) {
      throw await this.abandon(err, [diff, counted, toBlob], ingesting, [feeding], snapshot, short);
    }
    // An uncompressed layer: the blob is the tar, so its digest is the diff ID.
    const applied: ApplyResult = { size, diffId: blob.digest, tarSize: blob.size };
    const row = this.insert(parent, applied, snapshot, short, blob.digest, mediaTypes.layerTar);
    if (!row) {
      await this.snapshots.remove(snapshot, short);
      return this.get(chainId(parent, applied.diffId)) as LayerRow;
    }
    return row;
  }

  /**
   * A layer that failed on its way in: every stream stopped (so nothing waits for a reader that
   * is gone), the blob it stored deleted unless something uses it (or it was there before:
   * `keepBlob`), its snapshot removed. Returns the error to throw.
   */
  private async abandon(
    err: unknown,
    streams: Array<{ destroy(): unknown }>,
    ingesting: Promise<{ digest: string }>,
    others: Array<Promise<unknown>>,
    snapshot: string,
    short: string,
    keepBlob?: string,
  ): Promise<Error> {
    for (const s of streams) s.destroy();
    const [stored] = await Promise.allSettled([ingesting, ...others]);
    const digest = stored?.status === "fulfilled" ? stored.value.digest : undefined;
    if (digest && digest !== keepBlob && !this.blobUsed(digest)) await this.content.delete(digest);
    await this.snapshots.remove(snapshot, short).catch(() => undefined);
    return new InvalidParameterError(`failed to register layer: ${(err as Error).message}`);
  }

  /**
   * Records an unpacked layer. Someone else may have registered the same chain meanwhile:
   * then theirs is kept and undefined returned, so the caller drops its own copy.
   */
  private insert(
    parent: string | null,
    applied: ApplyResult,
    snapshot: string,
    short: string,
    blob: string,
    mediaType: string,
  ): LayerRow | undefined {
    const row: LayerRow = {
      chain_id: chainId(parent, applied.diffId),
      diff_id: applied.diffId,
      parent,
      snapshot,
      short,
      size: applied.size,
      blob,
      media_type: mediaType,
      diff_size: applied.tarSize,
    };
    const inserted = this.db.sql
      .prepare(
        "INSERT OR IGNORE INTO layers (chain_id, diff_id, parent, snapshot, short, size, blob, media_type, diff_size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(row.chain_id, row.diff_id, parent, snapshot, short, row.size, blob, mediaType, applied.tarSize);
    return Number(inserted.changes) === 0 ? undefined : row;
  }

  /** Deletes a layer row and its snapshot (the caller has checked nothing uses it). */
  async remove(layer: LayerRow): Promise<void> {
    this.db.sql.prepare("DELETE FROM layers WHERE chain_id = ?").run(layer.chain_id);
    await this.snapshots.remove(layer.snapshot, layer.short);
  }

  /** Whether any layer row still refers to `blob`. */
  blobUsed(blob: string): boolean {
    return this.db.sql.prepare("SELECT 1 FROM layers WHERE blob = ? LIMIT 1").get(blob) !== undefined;
  }
}
