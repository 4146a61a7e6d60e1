// Per-repository metadata: which blobs and manifests belong to a repository, its tags, and
// the referrers index. All small files, each written atomically.
import { readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { type Digest, isDigestAlgorithm, tryParseDigest } from "../digest.ts";
import type { Descriptor } from "../manifest/types.ts";
import { isValidRepositoryName, isValidTag } from "../names.ts";
import { isNotFound, removeDurable, TEMP_PREFIX, writeFileAtomic } from "./atomic.ts";
import { readdirOrEmpty } from "./blob-store.ts";
import type { RegistryLayout } from "./layout.ts";

/** What a repository records about a manifest it holds. */
export interface RevisionInfo {
  mediaType: string;
  size: number;
  subject?: string;
}

export class RepositoryStore {
  private readonly layout: RegistryLayout;

  constructor(layout: RegistryLayout) {
    this.layout = layout;
  }

  async exists(name: string): Promise<boolean> {
    for (const dir of [
      this.layout.layerLinksDir(name),
      join(this.layout.repositoryDir(name), "_manifests"),
    ]) {
      if (await pathExists(dir)) return true;
    }
    return false;
  }

  // Blob links ------------------------------------------------------------------------------

  async linkBlob(name: string, digest: Digest): Promise<void> {
    await writeFileAtomic(this.layout.layerLink(name, digest), digest.value);
  }

  async hasBlobLink(name: string, digest: Digest): Promise<boolean> {
    return pathExists(this.layout.layerLink(name, digest));
  }

  async unlinkBlob(name: string, digest: Digest): Promise<boolean> {
    return removeDurable(this.layout.layerLink(name, digest));
  }

  async listBlobLinks(name: string): Promise<Digest[]> {
    return listDigestDir(this.layout.layerLinksDir(name));
  }

  // Manifest revisions ------------------------------------------------------------------------

  async putRevision(name: string, digest: Digest, info: RevisionInfo): Promise<void> {
    await writeFileAtomic(this.layout.revisionLink(name, digest), JSON.stringify(info));
  }

  async getRevision(name: string, digest: Digest): Promise<RevisionInfo | undefined> {
    let text: string;
    try {
      text = await readFile(this.layout.revisionLink(name, digest), "utf8");
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const parsed = JSON.parse(text) as Partial<RevisionInfo>;
    if (typeof parsed.mediaType !== "string" || typeof parsed.size !== "number") return undefined;
    return {
      mediaType: parsed.mediaType,
      size: parsed.size,
      ...(typeof parsed.subject === "string" ? { subject: parsed.subject } : {}),
    };
  }

  async revisionModifiedAt(name: string, digest: Digest): Promise<number | undefined> {
    try {
      return (await stat(this.layout.revisionLink(name, digest))).mtimeMs;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async deleteRevision(name: string, digest: Digest): Promise<boolean> {
    return removeDurable(this.layout.revisionLink(name, digest));
  }

  async listRevisions(name: string): Promise<Digest[]> {
    return listDigestDir(this.layout.revisionsDir(name));
  }

  // Tags -----------------------------------------------------------------------------------

  async setTag(name: string, tag: string, digest: Digest): Promise<void> {
    await writeFileAtomic(this.layout.tagFile(name, tag), digest.value);
  }

  async getTag(name: string, tag: string): Promise<Digest | undefined> {
    try {
      return tryParseDigest((await readFile(this.layout.tagFile(name, tag), "utf8")).trim());
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async deleteTag(name: string, tag: string): Promise<boolean> {
    return removeDurable(this.layout.tagFile(name, tag));
  }

  /** Tags in ASCII order, as the spec requires for pagination. */
  async listTags(name: string): Promise<string[]> {
    const entries = await readdirOrEmpty(this.layout.tagsDir(name));
    return entries.filter((t) => !t.startsWith(TEMP_PREFIX) && isValidTag(t)).sort(asciiCompare);
  }

  async tagsPointingTo(name: string, digest: Digest): Promise<string[]> {
    const found: string[] = [];
    for (const tag of await this.listTags(name)) {
      if ((await this.getTag(name, tag))?.value === digest.value) found.push(tag);
    }
    return found;
  }

  // Referrers ------------------------------------------------------------------------------

  async addReferrer(name: string, subject: Digest, referrer: Digest, descriptor: Descriptor): Promise<void> {
    await writeFileAtomic(this.layout.referrerEntry(name, subject, referrer), JSON.stringify(descriptor));
  }

  async removeReferrer(name: string, subject: Digest, referrer: Digest): Promise<boolean> {
    return removeDurable(this.layout.referrerEntry(name, subject, referrer));
  }

  async listReferrers(name: string, subject: Digest): Promise<Descriptor[]> {
    const dir = this.layout.referrersDir(name, subject);
    const descriptors: Descriptor[] = [];
    for (const entry of (await readdirOrEmpty(dir)).sort(asciiCompare)) {
      if (entry.startsWith(TEMP_PREFIX)) continue;
      try {
        descriptors.push(JSON.parse(await readFile(join(dir, entry), "utf8")) as Descriptor);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return descriptors;
  }

  // Catalog --------------------------------------------------------------------------------

  /** All repository names, in ASCII order. */
  async listRepositories(): Promise<string[]> {
    const names: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      const entries = await readdirOrEmpty(dir);
      if (entries.includes("_layers") || entries.includes("_manifests")) {
        const name = relative(this.layout.repositoriesDir, dir).split(sep).join("/");
        if (isValidRepositoryName(name)) names.push(name);
      }
      for (const entry of entries) {
        // Name components never start with "_" or ".", so those are registry metadata.
        if (entry.startsWith("_") || entry.startsWith(".")) continue;
        await walk(join(dir, entry));
      }
    };
    await walk(this.layout.repositoriesDir);
    return names.sort(asciiCompare);
  }
}

export function asciiCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (isNotFound(err) || (err as NodeJS.ErrnoException).code === "ENOTDIR") return false;
    throw err;
  }
}

async function listDigestDir(dir: string): Promise<Digest[]> {
  const digests: Digest[] = [];
  for (const algorithm of await readdirOrEmpty(dir)) {
    if (!isDigestAlgorithm(algorithm)) continue;
    for (const hex of await readdirOrEmpty(join(dir, algorithm))) {
      const digest = tryParseDigest(`${algorithm}:${hex}`);
      if (digest) digests.push(digest);
    }
  }
  return digests;
}
