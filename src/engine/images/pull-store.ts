// The image store as a pull sees it (PullStore), over ImageService's public methods.
// Interim: until the image-store rework lands (diff IDs apart from blob digests, images keeping
// the manifest they were pulled with), layers are keyed by their blob, the image record gets
// ImageService's own manifest, and "already exists" is decided by the blob being present.
import { readFileSync } from "node:fs";
import type { Descriptor } from "../../distribution/client/manifest.ts";
import type { ContentStore } from "../content/store.ts";
import type { ImageConfig, Manifest } from "./oci.ts";
import type { PulledImage, PullStore } from "./pull.ts";
import type { ImageService } from "./service.ts";

type LayerRow = Awaited<ReturnType<ImageService["addLayer"]>>;

export class ImageServicePullStore implements PullStore {
  private readonly images: ImageService;
  private readonly content: ContentStore;
  private readonly rows = new Map<string, LayerRow>();

  constructor(images: ImageService, content: ContentStore) {
    this.images = images;
    this.content = content;
  }

  hasLayer(_chainId: string, _blob: Descriptor): boolean {
    // The download step skips blobs already in the content store; registering is idempotent.
    return false;
  }

  async registerLayer(parent: string | null, blob: Descriptor, _diffId: string): Promise<string> {
    const row = await this.images.addLayer(parent, blob.digest, blob.mediaType);
    this.rows.set(row.chain_id, row);
    return row.chain_id;
  }

  async createImage(image: PulledImage): Promise<string> {
    const rows = image.layers.map((id) => {
      const row = this.rows.get(id);
      if (!row) throw new Error(`layer ${id} was not registered by this pull`);
      return row;
    });
    return this.images.createImage(JSON.parse(image.config.toString("utf8")) as ImageConfig, rows);
  }

  tagged(canonicalTag: string): string | undefined {
    return this.images.find(canonicalTag)?.id;
  }

  tag(canonicalTag: string, imageId: string): void {
    const colon = canonicalTag.lastIndexOf(":");
    this.images.tag(imageId, canonicalTag.slice(0, colon), canonicalTag.slice(colon + 1));
  }

  async withLease<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  async dropBlobIfUnused(digest: string): Promise<void> {
    if (!this.blobInUse(digest)) await this.content.delete(digest);
  }

  private blobInUse(digest: string): boolean {
    // A layer unpacked by an earlier (even failed) pull keeps its blob.
    for (const row of this.rows.values()) if (row.blob === digest) return true;
    for (const image of this.images.all()) {
      if (!this.content.has(image.manifestDigest)) continue;
      const manifest = JSON.parse(readFileSync(this.content.path(image.manifestDigest), "utf8")) as Manifest;
      if (manifest.layers.some((l) => l.digest === digest)) return true;
    }
    return false;
  }
}
