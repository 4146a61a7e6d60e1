import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  existsSync,
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
import { extractContext, UnsafeContextError } from "../../../../src/engine/build/context-extract.ts";
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

describe("context extraction", () => {
  const tars = import("../../../helpers/tars.ts");

  async function extractInto(entries: Parameters<Awaited<typeof tars>["makeTar"]>[0]) {
    const { makeTar } = await tars;
    const dir = mkdtempSync(join(tmpdir(), "wharf-ctx-"));
    const outside = mkdtempSync(join(tmpdir(), "wharf-outside-"));
    try {
      const digests = await extractContext(Readable.from([await makeTar(entries)]), dir);
      return {
        digests,
        files: readdirSync(dir, { recursive: true }).map(String).sort(),
        outside: readdirSync(outside),
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  }

  it("unpacks files, dirs and symlinks and hashes file content", async () => {
    const r = await extractInto([
      { name: "d/", type: "directory" },
      { name: "d/f.txt", body: "hello" },
      { name: "ln", type: "symlink", linkname: "/etc/passwd" },
    ]);
    assert.deepEqual(r.files, ["d", "d/f.txt", "ln"]);
    assert.equal(r.digests.get("d/f.txt"), createHash("sha256").update("hello").digest("hex"));
  });

  it("refuses escapes: .., absolute, through a symlink it created, hard links out", async () => {
    await assert.rejects(extractInto([{ name: "../x", body: "x" }]), UnsafeContextError);
    await assert.rejects(extractInto([{ name: "/abs", body: "x" }]), UnsafeContextError);
    await assert.rejects(
      extractInto([
        { name: "up", type: "symlink", linkname: "/tmp" },
        { name: "up/planted", body: "x" },
      ]),
      /through a symlink/,
    );
    await assert.rejects(
      extractInto([{ name: "h", type: "link", linkname: "../../etc/shadow" }]),
      /hard link/,
    );
  });
});
