import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  parseGroup,
  parsePasswd,
  readFileInRoot,
  readUserFiles,
  resolveInRoot,
  resolveUser,
} from "../../../../src/engine/runtime/user.ts";

const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
# a comment
nobody:x:65534:65534:nobody:/home:/bin/false
alice:x:1000:1000:Alice:/home/alice:/bin/sh

bob:x:1001:100:Bob:/home/bob:/bin/sh
`;

const GROUP = `root:x:0:
wheel:x:10:root,alice
users:x:100:
staff:x:50:alice,bob
alice:x:1000:
nogroup:x:65534:
`;

test("empty user means root, with root's supplementary groups", () => {
  assert.deepEqual(resolveUser("", PASSWD, GROUP), { uid: 0, gid: 0, additionalGids: [10], home: "/root" });
});

test("names and numeric uids from passwd", () => {
  assert.deepEqual(resolveUser("root", PASSWD, GROUP), {
    uid: 0,
    gid: 0,
    additionalGids: [10],
    home: "/root",
  });
  assert.deepEqual(resolveUser("alice", PASSWD, GROUP), {
    uid: 1000,
    gid: 1000,
    additionalGids: [10, 50],
    home: "/home/alice",
  });
  assert.deepEqual(resolveUser("1001", PASSWD, GROUP), {
    uid: 1001,
    gid: 100,
    additionalGids: [50],
    home: "/home/bob",
  });
  assert.deepEqual(resolveUser("nobody", PASSWD, GROUP), {
    uid: 65534,
    gid: 65534,
    additionalGids: [],
    home: "/home",
  });
});

test("numeric uid without a passwd entry", () => {
  assert.deepEqual(resolveUser("4242", PASSWD, GROUP), { uid: 4242, gid: 0, additionalGids: [], home: "/" });
  assert.deepEqual(resolveUser("4242", null, null), { uid: 4242, gid: 0, additionalGids: [], home: "/" });
});

test("explicit group: no supplementary groups", () => {
  assert.deepEqual(resolveUser("1000:1000", PASSWD, GROUP), {
    uid: 1000,
    gid: 1000,
    additionalGids: [],
    home: "/home/alice",
  });
  assert.deepEqual(resolveUser("alice:staff", PASSWD, GROUP), {
    uid: 1000,
    gid: 50,
    additionalGids: [],
    home: "/home/alice",
  });
  assert.deepEqual(resolveUser("4242:staff", PASSWD, GROUP), {
    uid: 4242,
    gid: 50,
    additionalGids: [],
    home: "/",
  });
  assert.deepEqual(resolveUser("4242:777", PASSWD, GROUP), {
    uid: 4242,
    gid: 777,
    additionalGids: [],
    home: "/",
  });
  assert.deepEqual(resolveUser("4242:777", null, null), {
    uid: 4242,
    gid: 777,
    additionalGids: [],
    home: "/",
  });
});

test("errors are shaped like Docker's", () => {
  assert.throws(() => resolveUser("xyz", PASSWD, GROUP), {
    message: "unable to find user xyz: no matching entries in passwd file",
  });
  assert.throws(() => resolveUser("xyz", null, null), {
    message: "unable to find user xyz: no matching entries in passwd file",
  });
  assert.throws(() => resolveUser("alice:nogrp", PASSWD, GROUP), {
    message: "unable to find group nogrp: no matching entries in group file",
  });
  assert.throws(() => resolveUser("-5", PASSWD, GROUP), /uids and gids must be in range/);
  assert.throws(() => resolveUser("1:2147483648", PASSWD, GROUP), /uids and gids must be in range/);
});

test("group add: names and numbers appended", () => {
  assert.deepEqual(
    resolveUser("alice", PASSWD, GROUP, ["users", "5000"]).additionalGids,
    [10, 50, 100, 5000],
  );
  assert.deepEqual(resolveUser("1000:1000", PASSWD, GROUP, ["staff"]).additionalGids, [50]);
  assert.throws(() => resolveUser("root", PASSWD, GROUP, ["ghosts"]), /Unable to find group ghosts/);
});

test("parsers are lenient like runc's", () => {
  assert.deepEqual(parsePasswd("x:x:abc:7\n"), [{ name: "x", uid: 0, gid: 7, home: "" }]);
  assert.deepEqual(parseGroup("g:x:5\n"), [{ name: "g", gid: 5, members: [] }]);
  assert.deepEqual(parseGroup("g:x:5:a,,b\r\n"), [{ name: "g", gid: 5, members: ["a", "b"] }]);
});

let root = "";
let outside = "";

before(async () => {
  root = await mkdtemp(join(tmpdir(), "wharf-user-root-"));
  outside = await mkdtemp(join(tmpdir(), "wharf-user-outside-"));
  await writeFile(join(outside, "passwd"), "evil:x:0:0::/:/bin/sh\n");
  await writeFile(join(outside, "group"), "evil:x:0:\n");
});

after(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

async function freshRoot(name: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(join(dir, "etc"), { recursive: true });
  return dir;
}

test("readUserFiles reads etc/passwd and etc/group", async () => {
  const r = await freshRoot("plain");
  await writeFile(join(r, "etc/passwd"), PASSWD);
  await writeFile(join(r, "etc/group"), GROUP);
  assert.deepEqual(await readUserFiles(r), { passwd: PASSWD, group: GROUP });
});

test("readUserFiles returns null for missing files", async () => {
  const r = await freshRoot("missing");
  assert.deepEqual(await readUserFiles(r), { passwd: null, group: null });
  const noEtc = join(root, "noetc");
  await mkdir(noEtc);
  assert.deepEqual(await readUserFiles(noEtc), { passwd: null, group: null });
});

test("an absolute symlink is resolved inside rootfs, not on the host", async () => {
  const r = await freshRoot("abs");
  // /etc/passwd -> <outside>/passwd must mean <rootfs>/<outside>/passwd
  await symlink(join(outside, "passwd"), join(r, "etc/passwd"));
  await symlink("/shadow/group", join(r, "etc/group"));
  await mkdir(join(r, "shadow"));
  await writeFile(join(r, "shadow/group"), GROUP);
  const files = await readUserFiles(r);
  assert.equal(files.passwd, null);
  assert.equal(files.group, GROUP);
});

test("relative symlinks cannot climb out of rootfs", async () => {
  const r = await freshRoot("rel");
  // ../../../../../../<outside>/passwd from /etc climbs to / and stops there
  await symlink(`../../../../../../../..${outside}/passwd`, join(r, "etc/passwd"));
  assert.equal((await readUserFiles(r)).passwd, null);
  await mkdir(join(r, outside), { recursive: true });
  await writeFile(join(r, outside, "passwd"), PASSWD);
  assert.equal((await readUserFiles(r)).passwd, PASSWD);
});

test("a symlinked directory component is resolved in rootfs", async () => {
  const r = join(root, "dirlink");
  await mkdir(join(r, "usr/etc"), { recursive: true });
  await symlink("/usr/etc", join(r, "etc"));
  await writeFile(join(r, "usr/etc/passwd"), PASSWD);
  assert.equal((await readUserFiles(r)).passwd, PASSWD);
  assert.equal(await resolveInRoot(r, "/etc/passwd"), "/usr/etc/passwd");
  // a link to a host directory is looked up inside rootfs instead
  const r2 = join(root, "dirlink2");
  await mkdir(r2, { recursive: true });
  await symlink(outside, join(r2, "etc"));
  assert.equal((await readUserFiles(r2)).passwd, null);
});

test("symlink loops and non-files read as missing", async () => {
  const r = await freshRoot("loop");
  await symlink("/etc/group", join(r, "etc/passwd"));
  await symlink("/etc/passwd", join(r, "etc/group"));
  assert.deepEqual(await readUserFiles(r), { passwd: null, group: null });
  const r2 = await freshRoot("dir");
  await mkdir(join(r2, "etc/passwd"));
  assert.equal(await readFileInRoot(r2, "/etc/passwd"), null);
});
