// The image store's API for pull/load (addLayer from compressed blobs), for every image producer
// (createImage) and for commit/build (Snapshotter.diff + ImageService.commit), on a real
// content store, snapshotter and overlay mounts in a temp directory.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { lstat, mkdir, readdir, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { ContentStore } from "../../../src/engine/content/store.ts";
import { EventBus } from "../../../src/engine/events/bus.ts";
import type { ImageConfig } from "../../../src/engine/images/oci.ts";
import { ImageService } from "../../../src/engine/images/service.ts";
import { Snapshotter } from "../../../src/engine/snapshots/snapshotter.ts";
import { unmount } from "../../../src/platform/mount.ts";
import { Database } from "../../../src/store/db.ts";
import { sha256Digest } from "../../../src/util/digest.ts";
import { isRoot } from "../../helpers/daemon.ts";
import { listTar, makeTar } from "../../helpers/tars.ts";

const gzipMedia = "application/vnd.docker.image.rootfs.diff.tar.gzip";
const zstdMedia = "application/vnd.oci.image.layer.v1.tar+zstd";

describe("image store API", { skip: !isRoot() && "needs root (overlay, whiteouts)" }, () => {
  let root: string;
  let db: Database;
  let content: ContentStore;
  let snapshots: Snapshotter;
  let images: ImageService;
  const mounted: string[] = [];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), "wharf-imgapi-"));
    db = new Database(join(root, "wharf.db"));
    content = new ContentStore(join(root, "content"));
    await content.init();
    snapshots = new Snapshotter(join(root, "snapshots"));
    await snapshots.init();
    images = new ImageService(db, content, snapshots, new EventBus());
  });
  after(async () => {
    for (const m of mounted) await unmount(m).catch(() => undefined);
    db?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const snapshotDirs = async () => (await readdir(join(root, "snapshots"))).filter((d) => d !== "l").sort();

  const base = () =>
    makeTar([
      { name: "etc/", type: "directory" },
      { name: "etc/hostname", body: "base\n" },
      { name: "etc/passwd", body: "root:x:0:0::/root:/bin/sh\n" },
      { name: "data/", type: "directory" },
      { name: "data/old1", body: "1" },
      { name: "data/old2", body: "2" },
      { name: "keep", body: "keep" },
      { name: "hard", body: "linked" },
      { name: "hard2", type: "link", linkname: "hard" },
    ]);
  const top = () =>
    makeTar([
      { name: "etc/.wh.hostname" },
      { name: "data/", type: "directory" },
      { name: "data/.wh..wh..opq" },
      { name: "data/new", body: "new" },
      { name: "top", body: "top" },
    ]);

  test("addLayer: gzip and zstd blobs, diff ID is the uncompressed digest, one unpack per chain", async () => {
    const plain = await base();
    const gz = await content.put(gzipSync(plain));
    const diffId = sha256Digest(plain);
    const l1 = await images.addLayer(null, gz.digest, gzipMedia);
    assert.equal(l1.diff_id, diffId);
    assert.notEqual(l1.blob, diffId);
    assert.equal(l1.chain_id, diffId);
    assert.equal(l1.media_type, gzipMedia);
    assert.equal(
      await readFile(join(snapshots.fsDir(l1.snapshot), "etc/passwd"), "utf8"),
      "root:x:0:0::/root:/bin/sh\n",
    );
    const hard = await lstat(join(snapshots.fsDir(l1.snapshot), "hard2"));
    assert.equal(hard.nlink, 2);

    // The same content from a zstd blob maps to the same chain: nothing unpacked again.
    const before = await snapshotDirs();
    const zs = await content.put(zstdCompressSync(plain));
    const again = await images.addLayer(null, zs.digest, zstdMedia, { diffId });
    assert.equal(again.snapshot, l1.snapshot);
    const unknownDiff = await images.addLayer(null, zs.digest, zstdMedia);
    assert.equal(unknownDiff.snapshot, l1.snapshot);
    assert.deepEqual(await snapshotDirs(), before);

    // Concurrent callers of one new chain share one unpack.
    const topPlain = await top();
    const topBlob = await content.put(zstdCompressSync(topPlain));
    const topDiff = sha256Digest(topPlain);
    const [a, b] = await Promise.all([
      images.addLayer(l1.chain_id, topBlob.digest, zstdMedia, { diffId: topDiff }),
      images.addLayer(l1.chain_id, topBlob.digest, zstdMedia, { diffId: topDiff }),
    ]);
    assert.equal(a.snapshot, b.snapshot);
    assert.equal(a.chain_id, sha256Digest(`${l1.chain_id} ${topDiff}`));
    assert.equal(a.parent, l1.chain_id);
    assert.equal((await snapshotDirs()).length, before.length + 1);
    // Whiteouts became overlay whiteouts; the opaque marker an xattr.
    const wh = await lstat(join(snapshots.fsDir(a.snapshot), "etc/hostname"));
    assert.ok(wh.isCharacterDevice() && wh.rdev === 0);
    assert.equal(existsSync(join(snapshots.fsDir(a.snapshot), "data/.wh..wh..opq")), false);
  });

  test("addLayer: a diff ID mismatch or a broken blob leaves no layer and no snapshot", async () => {
    const before = await snapshotDirs();
    const blob = await content.put(gzipSync(await makeTar([{ name: "x", body: "x" }])));
    await assert.rejects(
      images.addLayer(null, blob.digest, gzipMedia, { diffId: sha256Digest("something else") }),
      /diff ID mismatch/,
    );
    const broken = await content.put(
      gzipSync(Buffer.from("this is not a tar archive at all")).subarray(0, 20),
    );
    await assert.rejects(images.addLayer(null, broken.digest, gzipMedia));
    assert.deepEqual(await snapshotDirs(), before);
    assert.equal(db.sql.prepare("SELECT COUNT(*) AS n FROM layers").get()?.n, 2);
  });

  test("symlink targets are kept verbatim; crafted layers cannot write outside the snapshot", async () => {
    const links = await makeTar([
      { name: "abs", type: "symlink", linkname: "/usr/share/zoneinfo/UTC" },
      { name: "up", type: "symlink", linkname: "../../../../etc/passwd" },
    ]);
    const layer = await images.addLayer(
      null,
      (await content.put(links)).digest,
      "application/vnd.oci.image.layer.v1.tar",
    );
    assert.equal(await readlink(join(snapshots.fsDir(layer.snapshot), "abs")), "/usr/share/zoneinfo/UTC");
    assert.equal(await readlink(join(snapshots.fsDir(layer.snapshot), "up")), "../../../../etc/passwd");

    const outside = mkdtempSync(join(tmpdir(), "wharf-outside-"));
    try {
      const hostile = [
        [
          { name: "lnk", type: "symlink" as const, linkname: outside },
          { name: "lnk/through", body: "x" },
        ],
        [{ name: `../../../../../../..${outside}/dotdot`, body: "x" }],
        [{ name: `${outside}/absolute`, body: "x" }],
      ];
      for (const entries of hostile) {
        const blob = await content.put(await makeTar(entries));
        // Refusing the layer or containing it are both fine; writing outside is not.
        await images
          .addLayer(null, blob.digest, "application/vnd.oci.image.layer.v1.tar")
          .catch(() => undefined);
        assert.deepEqual(await readdir(outside), []);
      }
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
    const hardOut = await content.put(
      await makeTar([{ name: "h", type: "link", linkname: "../../../../../../etc/passwd" }]),
    );
    await assert.rejects(
      images.addLayer(null, hardOut.digest, "application/vnd.oci.image.layer.v1.tar"),
      /outside/,
    );
  });

  test("addLayer keeps owners, modes, times and user/capability xattrs; overlay's own xattrs are not taken", async () => {
    const src = mkdtempSync(join(tmpdir(), "wharf-xattr-src-"));
    try {
      await writeFile(join(src, "tool"), "#!/bin/sh\n", { mode: 0o4755 });
      execFileSync("chown", ["1234:5678", join(src, "tool")]);
      execFileSync("chmod", ["4755", join(src, "tool")]); // after chown, which clears setuid
      execFileSync("touch", ["-d", "2001-02-03T04:05:06Z", join(src, "tool")]);
      execFileSync("setfattr", ["-n", "user.origin", "-v", "layer", join(src, "tool")]);
      execFileSync("setfattr", ["-n", "trusted.overlay.opaque", "-v", "y", src]);
      const tar = execFileSync("tar", [
        "-c",
        "--format=pax",
        "--xattrs",
        "--xattrs-include=*",
        "-C",
        src,
        ".",
      ]);
      const layer = await images.addLayer(
        null,
        (await content.put(tar)).digest,
        "application/vnd.oci.image.layer.v1.tar",
      );
      const fs = snapshots.fsDir(layer.snapshot);
      const st = await lstat(join(fs, "tool"));
      assert.equal(st.mode & 0o7777, 0o4755);
      assert.deepEqual([st.uid, st.gid], [1234, 5678]);
      assert.equal(st.mtime.toISOString(), "2001-02-03T04:05:06.000Z");
      const attr = (name: string, path: string) =>
        execFileSync("getfattr", ["--only-values", "-n", name, path], {
          stdio: ["ignore", "pipe", "ignore"],
        }).toString();
      assert.equal(attr("user.origin", join(fs, "tool")), "layer");
      assert.throws(() => attr("trusted.overlay.opaque", fs));
    } finally {
      rmSync(src, { recursive: true, force: true });
    }
  });

  test("createImage: config bytes kept verbatim, manifest stored as given, diff IDs checked", async () => {
    const plain = await base();
    const topPlain = await top();
    const l1 = await images.addLayer(null, (await content.put(gzipSync(plain))).digest, gzipMedia);
    const l2 = await images.addLayer(
      l1.chain_id,
      (await content.put(zstdCompressSync(topPlain))).digest,
      zstdMedia,
    );
    const config: ImageConfig = {
      created: "2024-01-02T03:04:05Z",
      architecture: "amd64",
      os: "linux",
      config: { Cmd: ["sh"] },
      rootfs: { type: "layers", diff_ids: [l1.diff_id, l2.diff_id] },
      history: [{ created_by: "one" }, { created_by: "two" }],
    };
    const configBytes = Buffer.from(`${JSON.stringify(config, null, 2)}\n`);
    const manifest = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: "x", config: {}, layers: [] }),
    );
    const id = await images.createImage(configBytes, [l1, l2], { manifest });
    assert.equal(id, sha256Digest(configBytes));
    const record = images.resolve(id);
    assert.equal(record.manifestDigest, sha256Digest(manifest));
    assert.deepEqual(record.layers, [l1.chain_id, l2.chain_id]);
    assert.deepEqual(
      images.layersOf(record).map((l) => l.diff_id),
      [l1.diff_id, l2.diff_id],
    );
    images.addRepoDigest(id, `example.com/x/y@${sha256Digest(manifest)}`);
    assert.deepEqual((await images.inspect(id)).RepoDigests, [`example.com/x/y@${sha256Digest(manifest)}`]);

    await assert.rejects(
      images.createImage({ ...config, rootfs: { type: "layers", diff_ids: [l2.diff_id] } }, [l1]),
      {
        status: 400,
      },
    );
    await assert.rejects(images.createImage({ ...config }, [l2, l1]), { status: 400 });

    // A container on the image sees the merged tree: whiteout and opaque dir applied.
    const merged = await mountContainer("c-create", images.lowerLayers(record));
    assert.equal(existsSync(join(merged, "etc/hostname")), false);
    assert.equal(existsSync(join(merged, "etc/passwd")), true);
    assert.deepEqual((await readdir(join(merged, "data"))).sort(), ["new"]);
    await snapshots.remove("c-create");
  });

  async function mountContainer(id: string, lowers: string[]): Promise<string> {
    await snapshots.createContainerLayer(id);
    const merged = await snapshots.mountContainer(id, lowers);
    mounted.push(merged);
    return merged;
  }

  test("diff + commit: the rw layer becomes an OCI layer tar and a new image on the chain", async () => {
    const plain = await base();
    const l1 = await images.addLayer(
      null,
      (await content.put(plain)).digest,
      "application/vnd.oci.image.layer.v1.tar",
    );
    const baseId = await images.createImage(
      {
        created: "2024-01-01T00:00:00Z",
        architecture: "amd64",
        os: "linux",
        config: { Cmd: ["sh"], Env: ["A=1"] },
        rootfs: { type: "layers", diff_ids: [l1.diff_id] },
        history: [{ created_by: "base" }],
      },
      [l1],
    );
    const merged = await mountContainer("c-commit", images.lowerLayers(images.resolve(baseId)));
    await writeFile(join(merged, "added"), "hello");
    await writeFile(join(merged, "etc/passwd"), "changed\n");
    await rm(join(merged, "keep"));
    await rm(join(merged, "data"), { recursive: true });
    await mkdir(join(merged, "data"));
    await writeFile(join(merged, "data/fresh"), "fresh");
    await snapshots.unmountContainer("c-commit");

    const upper = snapshots.upperDir("c-commit");
    const entries = await listTar(snapshots.diff(upper));
    const byName = new Map(entries.map((e) => [e.name, e]));
    assert.equal(byName.get("added")?.body, "hello");
    assert.equal(byName.get("etc/passwd")?.body, "changed\n");
    assert.ok(byName.has(".wh.keep"), `whiteout for keep in ${[...byName.keys()]}`);
    assert.ok(byName.has("data/.wh..wh..opq"), "opaque marker for the recreated dir");
    assert.equal(byName.get("data/")?.type, "directory");

    const changes = await snapshots.changes(upper, images.snapshotDirs(images.resolve(baseId)));
    const kinds = Object.fromEntries(changes.map((c) => [c.Path, c.Kind]));
    assert.equal(kinds["/added"], 1);
    assert.equal(kinds["/etc/passwd"], 0);
    assert.equal(kinds["/keep"], 2);

    const id = await images.commit({
      parentImage: baseId,
      upperDir: upper,
      config: { Cmd: ["sh"], Env: ["A=1"] },
      changes: ["ENV B=2", 'CMD ["echo", "hi"]'],
      author: "me",
      comment: "a commit",
      createdBy: "sh",
      repo: "committed",
      tag: "v1",
    });
    const record = images.resolve("committed:v1");
    assert.equal(record.id, id);
    assert.equal(record.parent, baseId);
    assert.equal(record.layers.length, 2);
    assert.equal(record.layers[0], l1.chain_id);
    const cfg = await images.config(id);
    assert.deepEqual(cfg.config?.Cmd, ["echo", "hi"]);
    assert.deepEqual(cfg.config?.Env, ["A=1", "B=2"]);
    assert.equal(cfg.author, "me");
    assert.deepEqual(
      cfg.history?.map((h) => h.created_by),
      ["base", "sh"],
    );
    assert.equal(cfg.history?.at(-1)?.comment, "a commit");

    // A container of the committed image sees exactly the committed tree.
    const view = await mountContainer("c-view", images.lowerLayers(record));
    assert.equal(await readFile(join(view, "added"), "utf8"), "hello");
    assert.equal(await readFile(join(view, "etc/passwd"), "utf8"), "changed\n");
    assert.equal(existsSync(join(view, "keep")), false);
    assert.deepEqual(await readdir(join(view, "data")), ["fresh"]);
    assert.equal(await readFile(join(view, "hard2"), "utf8"), "linked");

    // Metadata-only step (builder ENV): a history entry, no layer.
    const meta = await images.commit({
      parentImage: id,
      upperDir: upper,
      config: { Cmd: ["x"] },
      emptyLayer: true,
    });
    assert.equal(images.resolve(meta).layers.length, 2);
    assert.equal((await images.config(meta)).history?.at(-1)?.empty_layer, true);
    await snapshots.remove("c-view");
    await snapshots.remove("c-commit");
  });
  test("layers a build pins survive the deletion of their image until released", async () => {
    const l1 = await images.addLayer(
      null,
      (await content.put(await makeTar([{ name: "pinned", body: "p" }]))).digest,
      "application/vnd.oci.image.layer.v1.tar",
    );
    const id = await images.createImage(
      {
        architecture: "amd64",
        os: "linux",
        config: {},
        rootfs: { type: "layers", diff_ids: [l1.diff_id] },
      },
      [l1],
    );
    const shorts = images.lowerLayers(images.resolve(id));
    const unpin = images.pinLayers(shorts);
    const unpinTwice = images.pinLayers(shorts);
    await images.remove(id, { force: true, prune: false });
    assert.equal(images.find(id), undefined);
    await images.collectGarbage(true);
    assert.ok(existsSync(snapshots.fsDir(l1.snapshot)), "pinned layer kept through rmi and gc");
    unpin();
    await images.releaseLayers(shorts);
    assert.ok(existsSync(snapshots.fsDir(l1.snapshot)), "still held by the second pin");
    unpinTwice();
    await images.releaseLayers(shorts);
    assert.equal(existsSync(snapshots.fsDir(l1.snapshot)), false);
    assert.equal(images.layer(l1.chain_id), undefined);
  });
});
