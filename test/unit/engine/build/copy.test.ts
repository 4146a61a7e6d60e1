import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
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
