// export, cp (archive GET/HEAD/PUT), changes and commit against a real wharfd, on stopped and
// running containers; symlinks resolve inside the container root; crafted tars stay contained.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { demux } from "../../helpers/api.ts";
import { isRoot, startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { importBusybox } from "../../helpers/images.ts";
import { listTar, makeTar } from "../../helpers/tars.ts";

interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

describe("container files", { skip: !isRoot() && "needs root" }, () => {
  let d: TestDaemon;
  let stopped: string;
  const outside = mkdtempSync(join(tmpdir(), "wharf-outside-"));
  before(async () => {
    d = await startDaemon();
    await importBusybox(d.api);
    stopped = await d.api.run({
      Image: "busybox",
      Cmd: [
        "sh",
        "-c",
        `echo hi > /newfile; rm /etc/group; echo x >> /etc/passwd; mkdir -p /d/sub; echo deep > /d/sub/f;
         ln -s /etc /d/etclink; ln -s ../../../../../../${outside.slice(1)} /escape; ln -s /d/sub/f /abslink`,
      ],
    });
    assert.equal(await d.api.waitExit(stopped), 0);
  });
  after(async () => {
    await d?.stop();
    rmSync(outside, { recursive: true, force: true });
  });

  const stat = (headers: Record<string, unknown>) =>
    JSON.parse(
      Buffer.from(String(headers["x-docker-container-path-stat"]), "base64").toString("utf8"),
    ) as PathStat;

  test("changes: added, changed and deleted paths with Docker's kinds", async () => {
    const changes = await d.api.ok<Array<{ Path: string; Kind: number }>>(
      "GET",
      `/containers/${stopped}/changes`,
    );
    const kinds = Object.fromEntries(changes.map((c) => [c.Path, c.Kind]));
    assert.equal(kinds["/newfile"], 1);
    assert.equal(kinds["/etc"], 0);
    assert.equal(kinds["/etc/passwd"], 0);
    assert.equal(kinds["/etc/group"], 2);
    assert.equal(kinds["/d/sub/f"], 1);
  });

  test("archive GET/HEAD on a stopped container; symlinks resolve inside the root", async () => {
    const head = await d.api.call("HEAD", `/containers/${stopped}/archive?path=/newfile`);
    assert.equal(head.status, 200);
    assert.equal(stat(head.headers).name, "newfile");
    assert.equal(stat(head.headers).size, 3);

    const dir = await d.api.call("GET", `/containers/${stopped}/archive?path=/d`);
    assert.equal(dir.status, 200);
    assert.equal(dir.headers["content-type"], "application/x-tar");
    assert.ok(stat(dir.headers).mode >= 2 ** 31, "dir bit set");
    const entries = await listTar(dir.body);
    assert.deepEqual(
      entries.map((e) => e.name),
      ["d/", "d/etclink", "d/sub/", "d/sub/f"],
    );

    // A link's stat names its target inside the container; through it we reach /etc, not the host's.
    const link = await d.api.call("HEAD", `/containers/${stopped}/archive?path=/abslink`);
    assert.equal(stat(link.headers).linkTarget, "/d/sub/f");
    const viaLink = await d.api.call("GET", `/containers/${stopped}/archive?path=/d/etclink/passwd`);
    assert.equal(viaLink.status, 200);
    assert.match((await listTar(viaLink.body))[0]?.body ?? "", /^root:.*\nx\n$/s);
    // `..` in a link stops at the container's root: the host directory is never reached.
    const escaped = await d.api.call("GET", `/containers/${stopped}/archive?path=/escape/`);
    assert.equal(escaped.status, 404);

    const missing = await d.api.call("GET", `/containers/${stopped}/archive?path=/nope`);
    assert.equal(missing.status, 404);
    assert.match(missing.json<{ message: string }>().message, /Could not find the file \/nope in container/);
    assert.equal((await d.api.call("GET", "/containers/nosuch/archive?path=/")).status, 404);
  });

  test("archive PUT into a stopped container; crafted tars cannot write outside", async () => {
    const tar = await makeTar([
      { name: "put/", type: "directory" },
      { name: "put/file", body: "put!" },
    ]);
    const res = await d.api.call("PUT", `/containers/${stopped}/archive?path=/tmp`, tar, {
      headers: { "Content-Type": "application/x-tar" },
    });
    assert.equal(res.status, 200, res.text());
    const back = await d.api.call("GET", `/containers/${stopped}/archive?path=/tmp/put/file`);
    assert.equal((await listTar(back.body))[0]?.body, "put!");

    // Refused with a clear message, or (a leading "/") kept inside the target as Docker does.
    const hostile: Array<[string, Buffer, number, RegExp]> = [
      [
        "dotdot",
        await makeTar([{ name: "../../../../../../../../" + outside.slice(1) + "/dotdot", body: "x" }]),
        400,
        /path contains '\.\.'/,
      ],
      ["absolute", await makeTar([{ name: `${outside}/absolute`, body: "x" }]), 200, /^$/],
      [
        "through symlink",
        await makeTar([
          { name: "lnk", type: "symlink", linkname: outside },
          { name: "lnk/via-symlink", body: "x" },
        ]),
        400,
        /cannot extract lnk\/via-symlink: lnk is a symbolic link in the archive/,
      ],
      [
        "hardlink out",
        await makeTar([{ name: "hl", type: "link", linkname: "../../../../../../etc/hostname" }]),
        400,
        /hard link hl points outside the target/,
      ],
      [
        "device",
        await makeTar([{ name: "null2", type: "character-device", devmajor: 1, devminor: 3 }]),
        400,
        /device node null2 is not allowed here/,
      ],
    ];
    for (const [what, body, status, message] of hostile) {
      const r = await d.api.call("PUT", `/containers/${stopped}/archive?path=/tmp`, body, {
        headers: { "Content-Type": "application/x-tar" },
      });
      assert.equal(r.status, status, `${what}: ${r.text()}`);
      assert.match(status === 200 ? "" : r.json<{ message: string }>().message, message, what);
      assert.doesNotMatch(r.text(), new RegExp(d.dataRoot), `${what}: no host path in the answer`);
    }
    const kept = await d.api.call("GET", `/containers/${stopped}/archive?path=/tmp${outside}/absolute`);
    assert.equal(kept.status, 200, "the absolute entry landed under the target directory");
    // Whatever was answered, nothing landed outside the container.
    assert.deepEqual(
      ["dotdot", "absolute", "via-symlink"].filter((f) => existsSync(join(outside, f))),
      [],
    );
    // Into a directory reached through the container's link to the outside: still contained.
    await d.api.call(
      "PUT",
      `/containers/${stopped}/archive?path=/escape`,
      await makeTar([{ name: "x", body: "x" }]),
    );
    assert.equal(existsSync(join(outside, "x")), false);
    const notDir = await d.api.call("PUT", `/containers/${stopped}/archive?path=/newfile`, tar);
    assert.equal(notDir.status, 400);
  });

  test("export and commit of a stopped container; the committed image runs", async () => {
    const exp = await d.api.call("GET", `/containers/${stopped}/export`);
    assert.equal(exp.status, 200);
    const names = (await listTar(exp.body)).map((e) => e.name);
    for (const n of ["bin/busybox", "newfile", "d/sub/f", "tmp/put/file"]) assert.ok(names.includes(n), n);
    assert.equal(names.includes("etc/group"), false);

    const res = await d.api.call(
      "POST",
      `/commit?container=${stopped}&repo=committed&tag=v1&author=me&comment=c1&changes=${encodeURIComponent("ENV X=1")}`,
    );
    assert.equal(res.status, 201, res.text());
    const { Id } = res.json<{ Id: string }>();
    const info = await d.api.ok<{
      Id: string;
      Author: string;
      Comment: string;
      Config: { Env: string[] };
      RootFS: { Layers: string[] };
    }>("GET", "/images/committed:v1/json");
    assert.equal(info.Id, Id);
    assert.equal(info.Author, "me");
    assert.equal(info.Comment, "c1");
    assert.ok(info.Config.Env.includes("X=1"));
    assert.equal(info.RootFS.Layers.length, 2);
    const c = await d.api.run({
      Image: "committed:v1",
      Cmd: ["sh", "-c", "cat /newfile /tmp/put/file; test -e /etc/group || echo gone"],
    });
    assert.equal(await d.api.waitExit(c), 0);
    assert.equal(
      demux((await d.api.call("GET", `/containers/${c}/logs?stdout=1`)).body).stdout,
      "hi\nput!gone\n",
    );
  });

  test("commit and cp on a running container (paused while committing)", async () => {
    const id = await d.api.run({ Image: "busybox", Cmd: ["sh", "-c", "echo live > /live; sleep 60"] });
    for (let i = 0; i < 50; i++) {
      if ((await d.api.call("HEAD", `/containers/${id}/archive?path=/live`)).status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const put = await d.api.call(
      "PUT",
      `/containers/${id}/archive?path=/`,
      await makeTar([{ name: "in", body: "in" }]),
    );
    assert.equal(put.status, 200);
    const since = Date.now() / 1000;
    const res = await d.api.call("POST", `/commit?container=${id}&repo=live&tag=v1&comment=hot`);
    assert.equal(res.status, 201, res.text());
    const unpaused = await d.api.call("POST", `/commit?container=${id}&pause=0`);
    assert.equal(unpaused.status, 201, unpaused.text());
    // As Docker: pause, commit (comment, imageID, imageRef), unpause — and no pause with pause=0.
    const events = (
      await d.api.call(
        "GET",
        `/events?since=${since.toFixed(3)}&until=${(Date.now() / 1000 + 0.001).toFixed(3)}&filters=${encodeURIComponent(JSON.stringify({ container: [id], event: ["pause", "commit", "unpause"] }))}`,
      )
    )
      .text()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { Action: string; Actor: { Attributes: Record<string, string> } });
    assert.deepEqual(
      events.map((e) => e.Action),
      ["pause", "commit", "unpause", "commit"],
    );
    assert.deepEqual(
      [
        events[1]?.Actor.Attributes.comment,
        events[1]?.Actor.Attributes.imageID,
        events[1]?.Actor.Attributes.imageRef,
      ],
      ["hot", res.json<{ Id: string }>().Id, "live:v1"],
    );
    const state = await d.api.ok<{ State: { Status: string; Paused: boolean } }>(
      "GET",
      `/containers/${id}/json`,
    );
    assert.equal(state.State.Status, "running");
    const img = res.json<{ Id: string }>().Id;
    const c = await d.api.run({ Image: img, Cmd: ["cat", "/live", "/in"] });
    assert.equal(await d.api.waitExit(c), 0);
    assert.equal(demux((await d.api.call("GET", `/containers/${c}/logs?stdout=1`)).body).stdout, "live\nin");
    await d.api.call("DELETE", `/containers/${id}?force=1`);
  });
});
