import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat, truncate, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, test } from "node:test";
import { digestOf, parseDigest } from "../../../../src/distribution/registry/digest.ts";
import { RegistryError } from "../../../../src/distribution/registry/errors.ts";
import { writeFileAtomic } from "../../../../src/distribution/registry/storage/atomic.ts";
import {
  openRegistryStorage,
  type RegistryStorage,
} from "../../../../src/distribution/registry/storage/registry-storage.ts";
import { RetentionTracker } from "../../../../src/distribution/registry/storage/retention.ts";
import { acquireRootLock, RootBusyError } from "../../../../src/distribution/registry/storage/root-lock.ts";

let dir: string;
let storage: RegistryStorage;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "wharf-registry-storage-"));
  storage = openRegistryStorage(join(dir, "root"), { uploadExpiryMs: 60_000 });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const body = (s: string) => Readable.from([Buffer.from(s)]);
const code = (c: string, status?: number) => (err: unknown) =>
  err instanceof RegistryError && err.code === c && (status === undefined || err.status === status);

test("uploads: chunks in order, verified completion, blob visible only afterwards", async () => {
  const session = await storage.uploads.create("repo");
  assert.equal(await storage.uploads.append(session, body("hello "), { start: 0, end: 5 }), 6);
  await assert.rejects(
    storage.uploads.append(session, body("x"), { start: 3 }),
    code("BLOB_UPLOAD_INVALID", 416),
  );
  assert.equal(await storage.uploads.append(session, body("world")), 11);
  const digest = digestOf(Buffer.from("hello world"));
  assert.equal(await storage.blobs.stat(digest), undefined);
  assert.equal((await storage.uploads.get("repo", session.id))?.size, 11);
  assert.equal(await storage.uploads.get("other", session.id), undefined);
  await storage.uploads.complete(session, digest);
  assert.equal((await storage.blobs.read(digest))?.toString(), "hello world");
  assert.equal(await storage.uploads.get("repo", session.id), undefined);
});

test("uploads: a chunk that disagrees with its range is cut off again", async () => {
  const session = await storage.uploads.create("repo");
  await storage.uploads.append(session, body("abc"));
  await assert.rejects(
    storage.uploads.append(session, body("de"), { start: 3, end: 9 }),
    code("SIZE_INVALID"),
  );
  assert.equal((await storage.uploads.get("repo", session.id))?.size, 3);
  await storage.uploads.append(session, body("def"));
  await storage.uploads.complete(session, digestOf(Buffer.from("abcdef")));
  assert.ok(await storage.blobs.stat(digestOf(Buffer.from("abcdef"))));
});

test("uploads: a wrong digest discards the session and stores nothing", async () => {
  const session = await storage.uploads.create("repo");
  await storage.uploads.append(session, body("data"));
  await assert.rejects(
    storage.uploads.complete(session, digestOf(Buffer.from("other"))),
    code("DIGEST_INVALID"),
  );
  assert.equal(await storage.uploads.get("repo", session.id), undefined);
  assert.deepEqual(await readdir(storage.layout.uploadsDir), []);
});

test("uploads: sha512, and hashing from disk when the running hash is gone (restart)", async () => {
  const session = await storage.uploads.create("repo");
  await storage.uploads.append(session, body("persisted"));
  const restarted = openRegistryStorage(storage.layout.root, { uploadExpiryMs: 60_000 });
  const again = await restarted.uploads.get("repo", session.id);
  assert.ok(again);
  await restarted.uploads.append(again, body(" bytes"));
  const sha512 = parseDigest(`sha512:${createHash("sha512").update("persisted bytes").digest("hex")}`);
  await restarted.uploads.complete(again, sha512);
  assert.equal((await restarted.blobs.read(sha512))?.toString(), "persisted bytes");
});

test("uploads: bytes beyond the acknowledged size (left by a crash) are dropped", async () => {
  const session = await storage.uploads.create("repo");
  await storage.uploads.append(session, body("acked"));
  const data = join(storage.layout.uploadDir(session.id), "data");
  await writeFile(data, "acked-and-unacknowledged");
  const restarted = openRegistryStorage(storage.layout.root, { uploadExpiryMs: 60_000 });
  const again = (await restarted.uploads.get("repo", session.id))!;
  assert.equal(again.size, 5);
  await restarted.uploads.append(again, body("+more"), { start: 5 });
  assert.equal(await readFile(data, "utf8"), "acked+more");
  await truncate(data, 3);
  // Data shorter than acknowledged (disk trouble) counts as what is there.
  assert.equal(await restarted.uploads.append(again, body("")), 3);
});

test("uploads: idle sessions expire", async () => {
  const session = await storage.uploads.create("repo");
  const old = new Date(Date.now() - 120_000);
  await utimes(join(storage.layout.uploadDir(session.id), "data"), old, old);
  await utimes(join(storage.layout.uploadDir(session.id), "info.json"), old, old);
  assert.deepEqual(await storage.uploads.purgeExpired(Date.now(), true), [session.id]);
  assert.ok(await stat(storage.layout.uploadDir(session.id)));
  assert.equal(await storage.uploads.get("repo", session.id), undefined);
  assert.deepEqual(await readdir(storage.layout.uploadsDir), []);
});

test("blob store keeps one copy of identical content", async () => {
  const digest = digestOf(Buffer.from("same"));
  const a = join(dir, "a");
  const b = join(dir, "b");
  await writeFile(a, "same");
  await writeFile(b, "same");
  await Promise.all([storage.blobs.commitFile(a, digest), storage.blobs.commitFile(b, digest)]);
  const listed = [];
  for await (const d of storage.blobs.list()) listed.push(d.value);
  assert.deepEqual(listed, [digest.value]);
  const blob = await storage.blobs.open(digest);
  assert.equal(blob?.size, 4);
  await blob?.close();
  assert.equal(await storage.blobs.delete(digest), true);
  assert.equal(await storage.blobs.delete(digest), false);
});

test("repository store: tags in ASCII order, revisions, referrers, catalog", async () => {
  const repos = storage.repositories;
  const d1 = digestOf(Buffer.from("1"));
  const d2 = digestOf(Buffer.from("2"));
  assert.equal(await repos.exists("a/b"), false);
  for (const tag of ["b", "B", "a", "10", "1"]) await repos.setTag("a/b", tag, d1);
  await repos.setTag("a/b", "other", d2);
  assert.deepEqual(await repos.listTags("a/b"), ["1", "10", "B", "a", "b", "other"]);
  assert.deepEqual(await repos.tagsPointingTo("a/b", d2), ["other"]);
  assert.equal(await repos.exists("a/b"), true);
  await repos.putRevision("a/b", d1, { mediaType: "m", size: 1, subject: d2.value });
  assert.deepEqual(await repos.getRevision("a/b", d1), { mediaType: "m", size: 1, subject: d2.value });
  await repos.addReferrer("a/b", d2, d1, { mediaType: "m", digest: d1.value, size: 1 });
  assert.deepEqual(await repos.listReferrers("a/b", d2), [{ mediaType: "m", digest: d1.value, size: 1 }]);
  await repos.linkBlob("a", d1);
  await repos.linkBlob("a/b/c", d1);
  await repos.linkBlob("z", d1);
  assert.deepEqual(await repos.listRepositories(), ["a", "a/b", "a/b/c", "z"]);
  assert.deepEqual(
    (await repos.listBlobLinks("a")).map((d) => d.value),
    [d1.value],
  );
  // Temp files of interrupted writes never show up as tags.
  await writeFile(join(storage.layout.tagsDir("a/b"), ".tmp-deadbeef"), "x");
  assert.ok(!(await repos.listTags("a/b")).includes(".tmp-deadbeef"));
});

test("atomic writes leave no temp files", async () => {
  const target = join(dir, "x", "file");
  await writeFileAtomic(target, "one");
  await writeFileAtomic(target, "two");
  assert.equal(await readFile(target, "utf8"), "two");
  assert.deepEqual(await readdir(join(dir, "x")), ["file"]);
});

test("retention: held during a request, remembered after", () => {
  const tracker = new RetentionTracker();
  const lease = tracker.lease();
  const start = Date.now();
  lease.retain("sha256:a");
  assert.ok(tracker.retainedSince("sha256:a", start + 10_000), "held regardless of time");
  lease.release();
  assert.ok(!tracker.retainedSince("sha256:a", Date.now() + 10_000));
  assert.ok(tracker.retainedSince("sha256:a", start));
  tracker.beginCollection();
  tracker.prune(Date.now() + 1);
  assert.ok(tracker.retainedSince("sha256:a", start), "not forgotten while collecting");
  tracker.endCollection();
  tracker.prune(Date.now() + 1);
  assert.equal(tracker.size, 0);
  lease.retain("sha256:b");
  assert.ok(!tracker.retainedSince("sha256:b", 0), "a released lease retains nothing new");
});

test("root lock: one owner at a time; a dead owner's lock is taken over", async () => {
  const path = join(dir, "registry.lock");
  // pid 1 is always alive: a lock naming it belongs to someone else.
  await writeFile(path, JSON.stringify({ pid: 1, admin: "/a.sock" }));
  assert.throws(
    () => acquireRootLock(path, { pid: process.pid }),
    (err: unknown) => err instanceof RootBusyError && err.owner.pid === 1 && err.owner.admin === "/a.sock",
  );
  // A pid above the kernel's maximum is certainly dead.
  await writeFile(path, JSON.stringify({ pid: 2 ** 22 + 12345 }));
  const lock = acquireRootLock(path, { pid: process.pid, admin: "/x.sock" });
  assert.deepEqual(JSON.parse(await readFile(path, "utf8")), { pid: process.pid, admin: "/x.sock" });
  lock.release();
  await assert.rejects(stat(path));
});
