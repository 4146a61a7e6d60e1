// CacheMounts: the directories behind RUN --mount=type=cache and their sharing modes.
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CacheMounts, parseRunMount, type RunMount } from "../../../../src/engine/build/run-mounts.ts";

type CacheMount = Extract<RunMount, { type: "cache" }>;
const cacheSpec = (spec: string): CacheMount => {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  return parseRunMount(`type=cache,${spec},uid=${uid},gid=${gid}`) as CacheMount;
};

describe("RUN cache mounts on disk", () => {
  let root: string;
  let caches: CacheMounts;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "wharf-cache-mounts-"));
    caches = new CacheMounts(join(root, "cache-mounts"));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it("keeps one directory per id across uses, with the requested mode; odd ids stay inside the root", async () => {
    const first = await caches.acquire(cacheSpec("target=/c,id=../../escape,mode=0700"), "sh -c true");
    await writeFile(join(first.dir, "kept"), "x");
    await first.release();
    assert.ok(first.dir.startsWith(join(root, "cache-mounts")));
    assert.equal((await stat(first.dir)).mode & 0o777, 0o700);
    const again = await caches.acquire(cacheSpec("target=/other,id=../../escape"), "sh -c true");
    assert.equal(again.dir, first.dir);
    assert.deepEqual(await readdir(again.dir), ["kept"]);
    await again.release();
    const [record] = (await caches.records()).filter((r) => r.Description.includes("/c from exec"));
    assert.equal(record?.UsageCount, 2);
    assert.equal(record?.Type, "exec.cachemount");
  });

  it("private: a second user while the first holds it gets a fresh, throwaway directory", async () => {
    const a = await caches.acquire(cacheSpec("target=/p,id=priv,sharing=private"), "x");
    const b = await caches.acquire(cacheSpec("target=/p,id=priv,sharing=private"), "x");
    assert.notEqual(a.dir, b.dir);
    await b.release();
    await assert.rejects(stat(b.dir));
    await a.release();
  });

  it("locked: a second user waits for the first to release", async () => {
    const order: string[] = [];
    const a = await caches.acquire(cacheSpec("target=/l,id=lock,sharing=locked"), "x");
    const waiting = caches.acquire(cacheSpec("target=/l,id=lock,sharing=locked"), "x").then((b) => {
      order.push("second acquired");
      return b;
    });
    await new Promise((r) => setImmediate(r));
    order.push("first releasing");
    await a.release();
    const b = await waiting;
    await b.release();
    assert.deepEqual(order, ["first releasing", "second acquired"]);
  });

  it("prune removes the caches not in use and reports their bytes", async () => {
    const held = await caches.acquire(cacheSpec("target=/h,id=held"), "x");
    await writeFile(join(held.dir, "f"), "y".repeat(10_000));
    const { removed } = await caches.prune();
    assert.ok(removed.some((n) => n.startsWith("priv-")));
    assert.ok(!removed.some((n) => n.startsWith("held-")));
    await held.release();
    const second = await caches.prune();
    assert.ok(second.removed.some((n) => n.startsWith("held-")));
    assert.ok(second.bytes >= 10_000, String(second.bytes));
    assert.deepEqual(await readdir(join(root, "cache-mounts")), []);
  });
});

describe("RUN cache mounts after a crash", () => {
  it("start-up removes throwaway private copies and keeps the real caches", async () => {
    const root = await mkdtemp(join(tmpdir(), "wharf-cache-stale-"));
    try {
      const caches = new CacheMounts(root);
      const kept = await caches.acquire(cacheSpec("target=/k,id=kept,sharing=private"), "x");
      const extra = await caches.acquire(cacheSpec("target=/k,id=kept,sharing=private"), "x");
      // The daemon "stopped" here: nothing was released.
      await new CacheMounts(root).removeStalePrivate();
      await assert.rejects(stat(extra.dir));
      assert.ok((await stat(kept.dir)).isDirectory());
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
