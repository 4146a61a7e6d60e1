import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { ContextIndex, UnsafeContextError } from "../../../../src/engine/build/context-index.ts";
import { CopyError, copyInto, hashEntries, planCopy } from "../../../../src/engine/build/copy.ts";

describe("COPY planning, hashing and copying", () => {
  let base: string;
  let ctx: string;
  const opts = { add: false, keyword: "COPY", destIsDir: false };

  before(() => {
    base = mkdtempSync(join(tmpdir(), "wharf-copy-"));
    ctx = join(base, "ctx");
    mkdirSync(join(ctx, "dir", "sub"), { recursive: true });
    writeFileSync(join(ctx, "a.txt"), "a");
    writeFileSync(join(ctx, "b.txt"), "b");
    writeFileSync(join(ctx, "dir", "sub", "c.txt"), "c");
    writeFileSync(join(ctx, "ignored.txt"), "i");
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  it("globs, directory contents, and the destination rules", async () => {
    const root = { dir: ctx, ignored: (p: string) => p === "ignored.txt" };
    const globbed = await planCopy(root, ["*.txt"], "/dst/", { ...opts, destIsDir: true });
    assert.deepEqual(
      globbed.map((e) => e.dest),
      ["/dst/a.txt", "/dst/b.txt"],
    );
    const single = await planCopy(root, ["a.txt"], "/renamed", opts);
    assert.deepEqual(
      single.map((e) => e.dest),
      ["/renamed"],
    );
    const dir = await planCopy(root, ["dir"], "/app", opts);
    assert.deepEqual(
      dir.map((e) => `${e.kind}:${e.dest}`),
      ["dir:/app", "dir:/app/sub", "file:/app/sub/c.txt"],
    );
    await assert.rejects(planCopy(root, ["ignored.txt"], "/x", opts), /excluded by .dockerignore/);
    await assert.rejects(planCopy(root, ["../outside"], "/x", opts), CopyError);
  });

  it("the hash follows content, not times", async () => {
    const root = { dir: ctx };
    const before1 = await hashEntries(await planCopy(root, ["a.txt"], "/a", opts));
    writeFileSync(join(ctx, "a.txt"), "a");
    assert.equal(await hashEntries(await planCopy(root, ["a.txt"], "/a", opts)), before1);
    writeFileSync(join(ctx, "a.txt"), "changed");
    assert.notEqual(await hashEntries(await planCopy(root, ["a.txt"], "/a", opts)), before1);
  });

  it("destination symlinks are resolved inside the target root, never on the host", async () => {
    const rootfs = join(base, "rootfs");
    const outside = join(base, "outside");
    mkdirSync(rootfs);
    mkdirSync(outside);
    // An absolute link and a ".." link that would both leave rootfs if followed on the host.
    symlinkSync(outside, join(rootfs, "abs"));
    symlinkSync("../../outside", join(rootfs, "rel"));
    const entries = [
      ...(await planCopy({ dir: ctx }, ["b.txt"], "/abs/x.txt", opts)),
      ...(await planCopy({ dir: ctx }, ["b.txt"], "/rel/y.txt", opts)),
    ];
    await copyInto(rootfs, entries, { uid: 0, gid: 0, mode: 0o600 });
    assert.equal(existsSync(join(outside, "x.txt")), false);
    assert.equal(existsSync(join(outside, "y.txt")), false);
    assert.equal(readFileSync(join(rootfs, base, "outside", "x.txt"), "utf8"), "b");
  });
});

describe("context index", () => {
  const tars = import("../../../helpers/tars.ts");

  async function indexOf(entries: Parameters<Awaited<typeof tars>["makeTar"]>[0]) {
    const { makeTar } = await tars;
    const dir = mkdtempSync(join(tmpdir(), "wharf-ctx-"));
    try {
      const index = await ContextIndex.receive(Readable.from([await makeTar(entries)]), join(dir, "spool"));
      const out = join(dir, "out");
      mkdirSync(out);
      await index.materialize(out);
      const rootfs = join(dir, "rootfs");
      mkdirSync(rootfs);
      const planned = await planCopy({ fs: index }, ["."], "/ctx", { ...opts, destIsDir: true });
      await copyInto(rootfs, planned, { uid: 0, gid: 0 });
      await index.close();
      const files = readdirSync(out, { recursive: true }).map(String).sort();
      const contents = (root: string) =>
        new Map(
          files
            .filter((f) => lstatSync(join(root, f)).isFile())
            .map((f) => [f, readFileSync(join(root, f), "utf8")]),
        );
      const [materialized, copied] = [contents(out), contents(join(rootfs, "ctx"))];
      return {
        index,
        files,
        read: (rel: string) => materialized.get(rel),
        copied: (rel: string) => copied.get(rel) ?? "",
        hash: await hashEntries(planned),
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const opts = { add: false, keyword: "COPY", destIsDir: false };

  it("indexes files, dirs and symlinks, hashes content; materializes and copies from the spool", async () => {
    const r = await indexOf([
      { name: "d/", type: "directory" },
      { name: "d/f.txt", body: "hello" },
      { name: "implicit/deep/g.txt", body: "g" },
      { name: "big.bin", body: Buffer.alloc(3 << 20, 7) },
      { name: "hard", type: "link", linkname: "d/f.txt" },
      { name: "ln", type: "symlink", linkname: "/etc/passwd" },
      { name: "dup.txt", body: "first" },
      { name: "dup.txt", body: "second" },
    ]);
    assert.deepEqual(r.files, [
      "big.bin",
      "d",
      "d/f.txt",
      "dup.txt",
      "hard",
      "implicit",
      "implicit/deep",
      "implicit/deep/g.txt",
      "ln",
    ]);
    assert.equal(await r.index.digest("d/f.txt"), createHash("sha256").update("hello").digest("hex"));
    assert.equal(r.read("hard"), "hello");
    assert.equal(r.read("dup.txt"), "second");
    assert.equal(r.copied("implicit/deep/g.txt"), "g");
    assert.equal(r.copied("big.bin").length, 3 << 20);
    assert.equal(await r.index.resolve("ln"), "etc/passwd");
  });

  it("a changed file changes the COPY hash, a changed mtime does not", async () => {
    const a = await indexOf([{ name: "f", body: "one" }]);
    const b = await indexOf([{ name: "f", body: "two" }]);
    const c = await indexOf([{ name: "f", body: "one", mtime: new Date(5_000_000) }]);
    assert.notEqual(a.hash, b.hash);
    assert.equal(a.hash, c.hash);
  });

  it("refuses escapes: .., absolute, through a symlink it created, hard links out", async () => {
    await assert.rejects(indexOf([{ name: "../x", body: "x" }]), UnsafeContextError);
    await assert.rejects(indexOf([{ name: "/abs", body: "x" }]), UnsafeContextError);
    await assert.rejects(
      indexOf([
        { name: "up", type: "symlink", linkname: "/tmp" },
        { name: "up/planted", body: "x" },
      ]),
      /through a symlink/,
    );
    await assert.rejects(indexOf([{ name: "h", type: "link", linkname: "../../etc/shadow" }]), /hard link/);
  });
});
