// The storage parts of one registry root, wired together.
import { BlobStore } from "./blob-store.ts";
import { RegistryLayout } from "./layout.ts";
import { RepositoryStore } from "./repository-store.ts";
import { RetentionTracker } from "./retention.ts";
import { UploadStore } from "./upload-store.ts";

export interface RegistryStorage {
  readonly layout: RegistryLayout;
  readonly blobs: BlobStore;
  readonly uploads: UploadStore;
  readonly repositories: RepositoryStore;
  /** Digests used recently by the serving process; gc never deletes those. */
  readonly retention: RetentionTracker;
}

export function openRegistryStorage(root: string, options: { uploadExpiryMs: number }): RegistryStorage {
  const layout = new RegistryLayout(root);
  const blobs = new BlobStore(layout);
  return {
    layout,
    blobs,
    uploads: new UploadStore(layout, blobs, options.uploadExpiryMs),
    repositories: new RepositoryStore(layout),
    retention: new RetentionTracker(),
  };
}
