// Mark and sweep garbage collection.
//
// Mark: per repository, from every tag (and every manifest young enough to be part of a push
// still in progress), follow index entries and referrers to the manifests to keep; mark
// those manifests and the blobs they reference. Sweep: manifests no one keeps, then blobs no
// manifest marks, then links to deleted blobs, expired upload sessions and stale temp files.
//
// Safe while the server keeps serving: nothing younger than the grace period is deleted, and
// each deletion checks the server's retention tracker in the same synchronous step as the
// unlink, so content a concurrent push relies on is either kept or visibly gone before the
// push checks for it.
import { existsSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { type Digest, tryParseDigest } from "../digest.ts";
import { type ParsedManifest, parseManifest } from "../manifest/parse.ts";
import { TEMP_PREFIX } from "../storage/atomic.ts";
import { readdirOrEmpty } from "../storage/blob-store.ts";
import type { RegistryStorage } from "../storage/registry-storage.ts";

export interface GcOptions {
  dryRun: boolean;
  /** Content younger than this is never collected. */
  graceMs: number;
  now?: number;
}

export interface GcReport {
  dryRun: boolean;
  repositories: number;
  manifestsKept: number;
  blobsKept: number;
  manifestsDeleted: { repository: string; digest: string }[];
  blobsDeleted: { digest: string; size: number }[];
  bytesFreed: number;
  layerLinksDeleted: number;
  uploadsDeleted: number;
  tempFilesDeleted: number;
}

const TEMP_FILE_MAX_AGE_MS = 60 * 60 * 1000;

export async function collectGarbage(storage: RegistryStorage, options: GcOptions): Promise<GcReport> {
  const now = options.now ?? Date.now();
  const since = now - options.graceMs;
  const report: GcReport = {
    dryRun: options.dryRun,
    repositories: 0,
    manifestsKept: 0,
    blobsKept: 0,
    manifestsDeleted: [],
    blobsDeleted: [],
    bytesFreed: 0,
    layerLinksDeleted: 0,
    uploadsDeleted: 0,
    tempFilesDeleted: 0,
  };
  const { retention } = storage;
  /** The check and the unlink happen without yielding, so no request can slip in between. */
  const deleteUnlessRetained = (digest: string, paths: string[]): boolean => {
    if (retention.retainedSince(digest, since)) return false;
    if (!options.dryRun) for (const path of paths) rmSync(path, { force: true });
    return true;
  };

  retention.beginCollection();
  try {
    const repositories = await storage.repositories.listRepositories();
    report.repositories = repositories.length;
    const markedBlobs = new Set<string>();
    const keptManifests = new Map<string, Set<string>>();
    for (const name of repositories) {
      keptManifests.set(name, await markRepository(storage, name, since, markedBlobs));
    }

    for (const name of repositories) {
      const kept = keptManifests.get(name)!;
      report.manifestsKept += kept.size;
      for (const digest of await storage.repositories.listRevisions(name)) {
        if (kept.has(digest.value)) continue;
        const info = await storage.repositories.getRevision(name, digest);
        const subject = info?.subject ? tryParseDigest(info.subject) : undefined;
        const paths = [storage.layout.revisionLink(name, digest)];
        if (subject) paths.push(storage.layout.referrerEntry(name, subject, digest));
        if (deleteUnlessRetained(digest.value, paths)) {
          report.manifestsDeleted.push({ repository: name, digest: digest.value });
        } else {
          markedBlobs.add(digest.value);
        }
      }
    }

    for await (const digest of storage.blobs.list()) {
      if (markedBlobs.has(digest.value)) {
        report.blobsKept++;
        continue;
      }
      const path = storage.layout.blobPath(digest);
      const size = sizeIfOlder(path, since);
      if (size === undefined) {
        report.blobsKept++;
        continue;
      }
      if (deleteUnlessRetained(digest.value, [path])) {
        report.blobsDeleted.push({ digest: digest.value, size });
        report.bytesFreed += size;
      } else {
        report.blobsKept++;
      }
    }

    const deletedBlobs = new Set(report.blobsDeleted.map((b) => b.digest));
    for (const name of repositories) {
      for (const digest of await storage.repositories.listBlobLinks(name)) {
        const gone = deletedBlobs.has(digest.value) || !existsSync(storage.layout.blobPath(digest));
        if (!gone) continue;
        if (deleteUnlessRetained(digest.value, [storage.layout.layerLink(name, digest)])) {
          report.layerLinksDeleted++;
        }
      }
    }

    report.uploadsDeleted = (await storage.uploads.purgeExpired(now, options.dryRun)).length;
    report.tempFilesDeleted = await removeStaleTempFiles(storage, now, options.dryRun);
  } finally {
    retention.endCollection();
  }
  return report;
}

/** The manifests to keep in one repository; marks the blobs they reference. */
async function markRepository(
  storage: RegistryStorage,
  name: string,
  since: number,
  markedBlobs: Set<string>,
): Promise<Set<string>> {
  const kept = new Set<string>();
  const queue: Digest[] = [];
  for (const tag of await storage.repositories.listTags(name)) {
    const digest = await storage.repositories.getTag(name, tag);
    if (digest) queue.push(digest);
  }
  for (const digest of await storage.repositories.listRevisions(name)) {
    const modified = await storage.repositories.revisionModifiedAt(name, digest);
    if (
      storage.retention.retainedSince(digest.value, since) ||
      (modified !== undefined && modified >= since)
    ) {
      queue.push(digest);
    }
  }
  while (queue.length > 0) {
    const digest = queue.pop()!;
    if (kept.has(digest.value)) continue;
    const info = await storage.repositories.getRevision(name, digest);
    if (!info) continue;
    kept.add(digest.value);
    markedBlobs.add(digest.value);
    const parsed = await readManifest(storage, digest, info.mediaType);
    if (parsed) {
      for (const blob of parsed.blobs) markedBlobs.add(blob.digest);
      for (const child of parsed.manifests) {
        const childDigest = tryParseDigest(child.digest);
        if (childDigest) queue.push(childDigest);
      }
    }
    for (const referrer of await storage.repositories.listReferrers(name, digest)) {
      const referrerDigest = tryParseDigest(referrer.digest);
      if (referrerDigest) queue.push(referrerDigest);
    }
  }
  return kept;
}

async function readManifest(
  storage: RegistryStorage,
  digest: Digest,
  mediaType: string,
): Promise<ParsedManifest | undefined> {
  const bytes = await storage.blobs.read(digest);
  if (!bytes) return undefined;
  try {
    return parseManifest(bytes, mediaType);
  } catch {
    return undefined;
  }
}

/** The file's size when it was last modified before `since`, else undefined (young or gone). */
function sizeIfOlder(path: string, since: number): number | undefined {
  try {
    const info = statSync(path);
    return info.mtimeMs < since ? info.size : undefined;
  } catch {
    return undefined;
  }
}

async function removeStaleTempFiles(storage: RegistryStorage, now: number, dryRun: boolean): Promise<number> {
  const stale: string[] = [];
  const consider = (path: string) => {
    const modified = statSync(path, { throwIfNoEntry: false })?.mtimeMs;
    if (modified !== undefined && now - modified > TEMP_FILE_MAX_AGE_MS) stale.push(path);
  };
  for await (const path of storage.blobs.tempFiles()) consider(path);
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdirOrEmpty(dir)) {
      const path = join(dir, entry);
      if (entry.startsWith(TEMP_PREFIX)) consider(path);
      else if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) await walk(path);
    }
  };
  await walk(storage.layout.repositoriesDir);
  if (!dryRun) for (const path of stale) rmSync(path, { force: true });
  return stale.length;
}
