// Where everything lives under the registry root. Blobs (layers, configs and manifests alike)
// are stored once, content-addressed; repositories hold only small link files, the same split
// distribution uses, so a blob shared by many repositories costs its bytes once.
//
//   <root>/blobs/<alg>/<hex[0:2]>/<hex>                 blob bytes, visible only once verified
//   <root>/uploads/<uuid>/{data,info.json}              upload sessions in progress
//   <root>/repositories/<name>/_layers/<alg>/<hex>      blob belongs to this repository
//   <root>/repositories/<name>/_manifests/revisions/<alg>/<hex>   manifest in repo (JSON info)
//   <root>/repositories/<name>/_manifests/tags/<tag>    tag -> digest
//   <root>/repositories/<name>/_referrers/<alg>/<hex>/<alg>-<hex> descriptor of a referrer
//   <root>/registry.lock                                the serving (or collecting) process
import { join } from "node:path";
import type { Digest } from "../digest.ts";

export class RegistryLayout {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  get blobsDir(): string {
    return join(this.root, "blobs");
  }
  get uploadsDir(): string {
    return join(this.root, "uploads");
  }
  get repositoriesDir(): string {
    return join(this.root, "repositories");
  }
  get lockFile(): string {
    return join(this.root, "registry.lock");
  }
  get adminSocketDefault(): string {
    return join(this.root, "admin.sock");
  }

  blobPath(digest: Digest): string {
    return join(this.blobsDir, digest.algorithm, digest.hex.slice(0, 2), digest.hex);
  }

  uploadDir(id: string): string {
    return join(this.uploadsDir, id);
  }

  repositoryDir(name: string): string {
    return join(this.repositoriesDir, ...name.split("/"));
  }

  layerLinksDir(name: string): string {
    return join(this.repositoryDir(name), "_layers");
  }

  layerLink(name: string, digest: Digest): string {
    return join(this.layerLinksDir(name), digest.algorithm, digest.hex);
  }

  revisionsDir(name: string): string {
    return join(this.repositoryDir(name), "_manifests", "revisions");
  }

  revisionLink(name: string, digest: Digest): string {
    return join(this.revisionsDir(name), digest.algorithm, digest.hex);
  }

  tagsDir(name: string): string {
    return join(this.repositoryDir(name), "_manifests", "tags");
  }

  tagFile(name: string, tag: string): string {
    return join(this.tagsDir(name), tag);
  }

  referrersDir(name: string, subject: Digest): string {
    return join(this.repositoryDir(name), "_referrers", subject.algorithm, subject.hex);
  }

  referrerEntry(name: string, subject: Digest, referrer: Digest): string {
    return join(this.referrersDir(name, subject), `${referrer.algorithm}-${referrer.hex}`);
  }
}
