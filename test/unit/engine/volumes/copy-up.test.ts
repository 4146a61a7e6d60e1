// Copy-up never reads through links out of the container root, never writes outside the volume,
// and keeps owners, modes and links.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { chown } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { copyUp, resolveInRoot } from "../../../../src/engine/volumes/copy-up.ts";

const root = process.getuid?.() === 0;

describe("copy-up", () => {
  const base = mkdtempSync("/tmp/wharf-copyup-");
  after(() => rmSync(base, { recursive: true, force: true }));

  const outside = join(base, "outside");
  mkdirSync(outside);
  writeFileSync(join(outside, "secret"), "host secret\n");
  const rootfs = join(base, "rootfs");
  mkdirSync(join(rootfs, "etc"), { recursive: true });
  writeFileSync(join(rootfs, "etc/conf"), "container conf\n");
  mkdirSync(join(rootfs, "data/sub"), { recursive: true });
  writeFileSync(join(rootfs, "data/sub/file"), "content\n", { mode: 0o604 });
  chmodSync(join(rootfs, "data/sub"), 0o750);
  symlinkSync(outside, join(rootfs, "data/abs-out"));
  symlinkSync("../../../outside/secret", join(rootfs, "data/rel-out"));
  // Links that lead the volume path itself elsewhere resolve inside the rootfs.
  symlinkSync(outside, join(rootfs, "linkdir"));
  symlinkSync("../../../../outside", join(rootfs, "climb"));
  symlinkSync("/etc", join(rootfs, "etclink"));

  test("resolveInRoot keeps absolute and climbing links inside the root", async () => {
    assert.equal(await resolveInRoot(rootfs, "/etclink/conf"), join(rootfs, "etc/conf"));
    assert.equal(
      await resolveInRoot(rootfs, "/linkdir"),
      undefined,
      `${outside} inside the root does not exist`,
    );
    assert.equal(await resolveInRoot(rootfs, "/climb"), undefined);
    assert.equal(await resolveInRoot(rootfs, "/../../data/sub"), join(rootfs, "data/sub"));
  });

  test("copies content with modes, keeps links as links, never follows them", async () => {
    const vol = join(base, "vol1");
    mkdirSync(vol);
    assert.equal(await copyUp(rootfs, "/data", vol), true);
    assert.equal(readFileSync(join(vol, "sub/file"), "utf8"), "content\n");
    assert.equal(lstatSync(join(vol, "sub/file")).mode & 0o7777, 0o604);
    assert.equal(lstatSync(join(vol, "sub")).mode & 0o7777, 0o750);
    assert.ok(lstatSync(join(vol, "abs-out")).isSymbolicLink());
    assert.equal(readlinkSync(join(vol, "abs-out")), outside);
    assert.equal(readlinkSync(join(vol, "rel-out")), "../../../outside/secret");
    assert.equal(readFileSync(join(outside, "secret"), "utf8"), "host secret\n");
  });

  test("a path that is a link out of the root copies the root's own content (or nothing)", async () => {
    const vol = join(base, "vol2");
    mkdirSync(vol);
    assert.equal(await copyUp(rootfs, "/linkdir", vol), false);
    assert.equal(await copyUp(rootfs, "/climb", vol), false);
    assert.equal(await copyUp(rootfs, "/etclink", vol), true);
    assert.equal(readFileSync(join(vol, "conf"), "utf8"), "container conf\n");
  });

  test("hard links in the image stay hard links in the volume", async () => {
    mkdirSync(join(rootfs, "linked/d"), { recursive: true });
    writeFileSync(join(rootfs, "linked/a"), "same\n");
    linkSync(join(rootfs, "linked/a"), join(rootfs, "linked/d/b"));
    const vol = join(base, "vol-links");
    mkdirSync(vol);
    assert.equal(await copyUp(rootfs, "/linked", vol), true);
    const a = lstatSync(join(vol, "a"));
    const b = lstatSync(join(vol, "d/b"));
    assert.equal(a.ino, b.ino);
    assert.equal(a.nlink, 2);
    assert.notEqual(a.ino, lstatSync(join(rootfs, "linked/a")).ino, "a copy, not a link to the image");
  });

  test("file capabilities and user.* attributes are kept, set after the chown that would drop them", {
    skip: !root && "needs root",
  }, async () => {
    mkdirSync(join(rootfs, "caps/sub"), { recursive: true });
    writeFileSync(join(rootfs, "caps/ping"), "binary");
    // cap_net_raw+ep, as setcap writes it (VFS_CAP_REVISION_2).
    execFileSync("setfattr", [
      "-n",
      "security.capability",
      "-v",
      "0sAQAAAgAgAAAAAAAAAAAAAAAAAAA=",
      join(rootfs, "caps/ping"),
    ]);
    execFileSync("setfattr", ["-n", "user.origin", "-v", "image", join(rootfs, "caps/sub")]);
    writeFileSync(join(outside, "tagged"), "host");
    execFileSync("setfattr", ["-n", "user.secret", "-v", "host", join(outside, "tagged")]);
    symlinkSync(join(outside, "tagged"), join(rootfs, "caps/out"));
    const vol = join(base, "vol-caps");
    mkdirSync(vol);
    assert.equal(await copyUp(rootfs, "/caps", vol), true);
    const get = (p: string, name: string) =>
      execFileSync("getfattr", ["-h", "-e", "base64", "-n", name, p], { stdio: ["ignore", "pipe", "ignore"] })
        .toString()
        .split("\n")
        .find((l) => l.startsWith(`${name}=`));
    assert.equal(
      get(join(vol, "ping"), "security.capability"),
      "security.capability=0sAQAAAgAgAAAAAAAAAAAAAAAAAAA=",
    );
    assert.equal(get(join(vol, "sub"), "user.origin"), "user.origin=0saW1hZ2U=");
    assert.ok(lstatSync(join(vol, "out")).isSymbolicLink());
    assert.equal(readFileSync(join(outside, "tagged"), "utf8"), "host");
  });

  test("a volume that already has content is left alone", async () => {
    const vol = join(base, "vol3");
    mkdirSync(vol);
    writeFileSync(join(vol, "mine"), "x");
    assert.equal(await copyUp(rootfs, "/data", vol), false);
  });

  test("ownership is kept", { skip: !root && "needs root" }, async () => {
    await chown(join(rootfs, "data/sub/file"), 1234, 99);
    const vol = join(base, "vol4");
    mkdirSync(vol);
    await copyUp(rootfs, "/data", vol);
    const st = lstatSync(join(vol, "sub/file"));
    assert.deepEqual([st.uid, st.gid], [1234, 99]);
  });
});
