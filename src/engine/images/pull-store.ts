// The image store as a pull sees it (PullStore), over ImageService's image-store API: layers
// stored from their compressed blobs with the config's diff IDs (an existing chain is reused
// without reading the blob), the image recorded with the config and manifest exactly as
// pulled (its ID is the config digest, its RepoDigest the registry's).

import type { Readable } from "node:stream";
import type { Descriptor } from "../../distribution/client/manifest.ts";
import type { PulledImage, PullStore, StagedLayer } from "./pull.ts";
import type { ImageService, LayerRow } from "./service.ts";

export class ImageServicePullStore implements PullStore {
  private readonly images: ImageService;
  /** Layers stored by pulls under way, until their image is recorded. */
  private readonly rows = new Map<string, LayerRow>();

  constructor(images: ImageService) {
    this.images = images;
  }

  hasLayer(chainId: string, _blob: Descriptor): boolean {
    return this.images.layer(chainId) !== undefined;
  }

  async registerLayer(parent: string | null, blob: Descriptor, diffId: string): Promise<string> {
    const row = await this.images.addLayer(parent, blob.digest, blob.mediaType, { diffId });
    this.rows.set(row.chain_id, row);
    return row.chain_id;
  }

  async stageLayer(blob: Descriptor, source: Readable): Promise<StagedLayer> {
    const staged = await this.images.stageLayer(source, blob.digest, blob.mediaType);
    return {
      commit: async (parent, diffId) => {
        const row = await this.images.commitStagedLayer(parent, staged, diffId);
        this.rows.set(row.chain_id, row);
        return row.chain_id;
      },
      discard: () => this.images.discardStagedLayer(staged),
    };
  }

  async createImage(image: PulledImage): Promise<string> {
    const rows = image.layers.map((id) => {
      const row = this.rows.get(id) ?? this.images.layer(id);
      if (!row) throw new Error(`layer ${id} is not in the store`);
      return row;
    });
    const id = await this.images.createImage(image.config, rows, { manifest: image.manifest });
    this.images.addRepoDigest(id, image.repoDigest);
    for (const chain of image.layers) this.rows.delete(chain);
    return id;
  }

  tagged(canonicalTag: string): string | undefined {
    return this.images.find(canonicalTag)?.id;
  }

  tag(canonicalTag: string, imageId: string): void {
    const colon = canonicalTag.lastIndexOf(":");
    this.images.tag(imageId, canonicalTag.slice(0, colon), canonicalTag.slice(colon + 1));
  }

  async dropBlobIfUnused(digest: string): Promise<void> {
    for (const row of this.rows.values()) if (row.blob === digest) return;
    await this.images.dropBlobIfUnused(digest);
  }

  /** Holds off the garbage collector's orphan sweep while the pull stores unreferenced layers. */
  withLease<T>(fn: () => Promise<T>): Promise<T> {
    return this.images.withLease(fn);
  }
}
