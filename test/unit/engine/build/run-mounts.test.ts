// CacheMounts: the directories behind RUN --mount=type=cache and their sharing modes.
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pruneBuildCache } from "../../../../src/engine/build/prune.ts";
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
    const none = { entries: () => [], remove: () => {} };
    const prune = () =>
      pruneBuildCache(
        { cache: none, mounts: caches, imageExists: () => false },
        { all: false, filters: new Map(), keepStorage: 0 },
      );
    const held = await caches.acquire(cacheSpec("target=/h,id=held"), "x");
    await writeFile(join(held.dir, "f"), "y".repeat(10_000));
    const { removed } = await prune();
    assert.ok(removed.some((n) => n.startsWith("priv-")));
    assert.ok(!removed.some((n) => n.startsWith("held-")));
    await held.release();
    const second = await prune();
    assert.ok(second.removed.some((n) => n.startsWith("held-")));
    assert.ok(second.bytes >= 10_000, String(second.bytes));
    assert.deepEqual(await readdir(join(root, "cache-mounts")), []);
  });
});

describe("build cache prune: all, filters, keep-storage", () => {
  const day = 24 * 3600 * 1000;
  const setup = async () => {
    const root = await mkdtemp(join(tmpdir(), "wharf-prune-"));
    const mounts = new CacheMounts(join(root, "cache-mounts"));
    for (const [id, bytes] of [
      ["small", 1000],
      ["big", 50_000],
    ] as const) {
      const c = await mounts.acquire(cacheSpec(`target=/${id},id=${id}`), "x");
      await writeFile(join(c.dir, "f"), "z".repeat(bytes));
      await c.release();
      await new Promise((r) => setTimeout(r, 5)); // distinct last-use times: small is older
    }
    let steps = [
      { key: "k-kept-image", imageId: "sha256:live", created: Date.now() - 3 * day },
      { key: "k-gone-image", imageId: "sha256:gone", created: Date.now() - 3 * day },
      { key: "k-recent", imageId: "sha256:gone", created: Date.now() },
    ];
    const cache = {
      entries: () => steps,
      remove: (keys: readonly string[]) => {
        steps = steps.filter((s) => !keys.includes(s.key));
      },
    };
    const prune = (all: boolean, filters: Array<[string, string[]]>, keepStorage = 0) =>
      pruneBuildCache(
        { cache, mounts, imageExists: (id) => id === "sha256:live" },
        { all, filters: new Map(filters), keepStorage },
      );
    return { root, prune, left: () => steps.map((s) => s.key) };
  };

  it("type, until and shared narrow it down; an unknown filter is refused", async () => {
    const t = await setup();
    try {
      const r = await t.prune(false, [
        ["type", ["regular"]],
        ["until", ["24h"]],
        ["shared", ["false"]],
      ]);
      assert.deepEqual(r.removed, ["k-gone-image"]);
      assert.deepEqual(t.left(), ["k-kept-image", "k-recent"]);
      const all = await t.prune(true, [["type", ["regular"]]]);
      assert.deepEqual(all.removed.sort(), ["k-kept-image", "k-recent"]);
      await assert.rejects(t.prune(true, [["bogus", ["1"]]]), /invalid filter 'bogus'/);
    } finally {
      await rm(t.root, { recursive: true, force: true });
    }
  });

  it("keep-storage removes the least recently used until what is left fits; id picks one record", async () => {
    const t = await setup();
    try {
      // small was used first: it goes first; then big, since 50 kB is still over the limit.
      const r = await t.prune(true, [["type", ["exec.cachemount"]]], 60_000);
      assert.equal(r.removed.length, 1);
      assert.match(r.removed[0] as string, /^small-/);
      const big = (await t.prune(false, [["id", ["nonexistent"]]])).removed;
      assert.deepEqual(big, []);
      const rest = await t.prune(true, [["type", ["exec.cachemount"]]], 1000);
      assert.equal(rest.removed.length, 1);
      assert.ok(rest.bytes >= 50_000);
    } finally {
      await rm(t.root, { recursive: true, force: true });
    }
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
