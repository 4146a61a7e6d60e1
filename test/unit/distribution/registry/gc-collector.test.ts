import assert from "node:assert/strict";
import { mkdtemp, rm, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { digestOf } from "../../../../src/distribution/registry/digest.ts";
import { collectGarbage } from "../../../../src/distribution/registry/gc/collector.ts";
import {
  openRegistryStorage,
  type RegistryStorage,
} from "../../../../src/distribution/registry/storage/registry-storage.ts";

let dir: string;
let storage: RegistryStorage;
const HOUR = 3_600_000;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "wharf-registry-gc-"));
  storage = openRegistryStorage(join(dir, "root"), { uploadExpiryMs: HOUR });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function putBlob(repo: string, content: string, ageMs = 2 * HOUR) {
  const digest = digestOf(Buffer.from(content));
  await storage.blobs.writeBytes(digest, Buffer.from(content));
  await storage.repositories.linkBlob(repo, digest);
  const when = new Date(Date.now() - ageMs);
  await utimes(storage.layout.blobPath(digest), when, when);
  return digest;
}

async function putManifest(repo: string, blobs: string[], tag?: string) {
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: blobs[0], size: 1 },
    layers: blobs
      .slice(1)
      .map((d) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: d, size: 1 })),
  });
  const digest = digestOf(Buffer.from(body));
  await storage.blobs.writeBytes(digest, Buffer.from(body));
  await storage.repositories.putRevision(repo, digest, {
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    size: body.length,
  });
  if (tag) await storage.repositories.setTag(repo, tag, digest);
  const when = new Date(Date.now() - 2 * HOUR);
  await utimes(storage.layout.blobPath(digest), when, when);
  await utimes(storage.layout.revisionLink(repo, digest), when, when);
  return digest;
}

test("marks from tags; sweeps untagged manifests and unreferenced blobs; dry run changes nothing", async () => {
  const config = await putBlob("r", "config");
  const layer = await putBlob("r", "layer");
  const tagged = await putManifest("r", [config.value, layer.value], "v1");
  const loose = await putBlob("r", "loose");
  const untagged = await putManifest("r", [config.value, loose.value]);

  const dry = await collectGarbage(storage, { dryRun: true, graceMs: HOUR });
  assert.deepEqual(dry.manifestsDeleted, [{ repository: "r", digest: untagged.value }]);
  assert.deepEqual(dry.blobsDeleted.map((b) => b.digest).sort(), [loose.value, untagged.value].sort());
  assert.ok(await storage.blobs.stat(loose));

  const real = await collectGarbage(storage, { dryRun: false, graceMs: HOUR });
  assert.deepEqual(real.manifestsDeleted, dry.manifestsDeleted);
  assert.equal(real.layerLinksDeleted, 1);
  assert.equal(await storage.blobs.stat(loose), undefined);
  assert.equal(await storage.repositories.getRevision("r", untagged), undefined);
  assert.ok(await storage.repositories.getRevision("r", tagged));
  for (const d of [config, layer, tagged]) assert.ok(await storage.blobs.stat(d));
  assert.equal(await storage.repositories.hasBlobLink("r", loose), false);
});

test("young content and content the server is using are kept", async () => {
  const young = await putBlob("r", "young", 1000);
  const used = await putBlob("r", "in use");
  const lease = storage.retention.lease();
  lease.retain(used.value);
  const report = await collectGarbage(storage, { dryRun: false, graceMs: HOUR });
  assert.deepEqual(report.blobsDeleted, []);
  lease.release();
  // Released, but used after the collection's window opened: still kept.
  assert.equal((await collectGarbage(storage, { dryRun: false, graceMs: 60_000 })).blobsDeleted.length, 0);
  // Once outside the window, it goes.
  const later = await collectGarbage(storage, { dryRun: false, graceMs: 0, now: Date.now() + 1000 });
  assert.deepEqual(later.blobsDeleted.map((b) => b.digest).sort(), [used.value, young.value].sort());
});
