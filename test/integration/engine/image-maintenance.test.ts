// history, prune, /system/df and the garbage collector's crash recovery against a real wharfd.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, test } from "node:test";
import { demux } from "../../helpers/api.ts";
import { deepLayers, makeDockerArchive } from "../../helpers/archives.ts";
import { isRoot, startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { importBusybox } from "../../helpers/images.ts";
import { makeTar } from "../../helpers/tars.ts";

interface Summary {
  Id: string;
  RepoTags: string[];
  Size: number;
  SharedSize: number;
  Containers: number;
}

describe("image maintenance", { skip: !isRoot() && "needs root" }, () => {
  let d: TestDaemon;
  let bbId: string;
  before(async () => {
    d = await startDaemon();
    bbId = await importBusybox(d.api, "bb:latest");
  });
  after(async () => {
    await d?.stop();
  });

  const load = async (tar: Buffer) => {
    const res = await d.api.call("POST", "/images/load", tar, {
      headers: { "Content-Type": "application/x-tar" },
    });
    assert.equal(res.status, 200, res.text());
    assert.doesNotMatch(res.text(), /"error"/, "a failed load ends its 200 stream with an error");
  };
  const ids = async () => (await d.api.ok<Summary[]>("GET", "/images/json")).map((i) => i.Id);

  test("history: newest first, sizes per layer, IDs of local parents, tags on the image", async () => {
    const c = await d.api.run({ Image: "bb", Cmd: ["sh", "-c", "echo 12345 > /f"] });
    await d.api.waitExit(c);
    const res = await d.api.call("POST", `/commit?container=${c}&repo=hist&tag=v1&comment=second`);
    assert.equal(res.status, 201, res.text());
    const id = res.json<{ Id: string }>().Id;
    const history = await d.api.ok<
      Array<{
        Id: string;
        Created: number;
        CreatedBy: string;
        Tags: string[] | null;
        Size: number;
        Comment: string;
      }>
    >("GET", "/images/hist:v1/history");
    assert.equal(history.length, 2);
    assert.equal(history[0]?.Id, id);
    assert.deepEqual(history[0]?.Tags, ["hist:v1"]);
    assert.equal(history[0]?.Comment, "second");
    assert.equal(history[0]?.Size, 6);
    assert.equal(history[0]?.CreatedBy, "sh -c echo 12345 > /f");
    assert.equal(history[1]?.Id, bbId);
    assert.ok((history[1]?.Size ?? 0) > 100_000);
    assert.ok((history[0]?.Created ?? 0) > 1_700_000_000);
    assert.equal((await d.api.call("GET", "/images/nope/history")).status, 404);
    await d.api.ok("DELETE", `/containers/${c}`);
    await d.api.ok("DELETE", "/images/hist:v1");
  });

  test("system df: shared and unique sizes; LayersSize counts a shared layer once", async () => {
    const extra = await makeTar([{ name: "only-here", body: "x".repeat(1000) }]);
    const [base] = await deepLayers(0);
    await load(
      (await makeDockerArchive([{ layers: [base as Buffer, extra], repoTags: ["child:latest"] }])).tar,
    );
    const df = await d.api.ok<{
      LayersSize: number;
      Images: Summary[];
      Containers: unknown[];
      Volumes: unknown[];
    }>("GET", "/system/df");
    const bb = df.Images.find((i) => i.RepoTags.includes("bb:latest"));
    const child = df.Images.find((i) => i.RepoTags.includes("child:latest"));
    assert.ok(bb && child);
    assert.equal(bb.SharedSize, bb.Size);
    assert.equal(child.SharedSize, bb.Size);
    assert.equal(child.Size, bb.Size + 1000);
    assert.equal(df.LayersSize, bb.Size + 1000);
    assert.equal(bb.Containers, 0);
    assert.ok(Array.isArray(df.Containers));
    const onlyImages = await d.api.ok<Record<string, unknown>>(
      "GET",
      "/v1.42/system/df?type=image".replace("/v1.42", ""),
    );
    assert.ok("Images" in onlyImages);
    await d.api.ok("DELETE", "/images/child");
  });

  test("prune: dangling by default, all unused with dangling=false; used images, labels and until respected", async () => {
    const layer = (n: string) => makeTar([{ name: n, body: n }]);
    const [base] = await deepLayers(0);
    const { ids: loaded } = await makeDockerArchive([
      { layers: [base as Buffer, await layer("dangling")] },
      { layers: [base as Buffer, await layer("tagged")], repoTags: ["tagged:latest"] },
    ]);
    await load(
      (
        await makeDockerArchive([
          { layers: [base as Buffer, await layer("dangling")] },
          { layers: [base as Buffer, await layer("tagged")], repoTags: ["tagged:latest"] },
        ])
      ).tar,
    );
    assert.ok((await ids()).includes(loaded[0] as string));

    const dangling = await d.api.ok<{ ImagesDeleted: Array<Record<string, string>>; SpaceReclaimed: number }>(
      "POST",
      "/images/prune",
    );
    assert.deepEqual(dangling.ImagesDeleted, [{ Deleted: loaded[0] }]);
    assert.equal(dangling.SpaceReclaimed, "dangling".length);
    assert.ok((await ids()).includes(loaded[1] as string));

    // until in the past: nothing is old enough.
    const none = await d.api.ok<{ ImagesDeleted: unknown }>(
      "POST",
      `/images/prune?filters=${encodeURIComponent(JSON.stringify({ dangling: ["false"], until: ["2000-01-01T00:00:00Z"] }))}`,
    );
    assert.equal(none.ImagesDeleted, null);
    const bad = await d.api.call(
      "POST",
      `/images/prune?filters=${encodeURIComponent(JSON.stringify({ nope: ["x"] }))}`,
    );
    assert.equal(bad.status, 400);

    // -a: everything unused goes; busybox stays while a container uses it.
    const c = await d.api.ok<{ Id: string }>("POST", "/containers/create", { Image: "bb", Cmd: ["true"] });
    const all = await d.api.ok<{ ImagesDeleted: Array<Record<string, string>> }>(
      "POST",
      `/images/prune?filters=${encodeURIComponent(JSON.stringify({ dangling: { false: true } }))}`,
    );
    assert.deepEqual(all.ImagesDeleted, [{ Untagged: "tagged:latest" }, { Deleted: loaded[1] }]);
    assert.deepEqual(await ids(), [bbId]);
    await d.api.ok("DELETE", `/containers/${c.Id}`);
  });

  test("layers a container sits on outlive rmi -f of its image, prune and a restart; rm releases them", async () => {
    const { ids: loaded, tar } = await makeDockerArchive([
      {
        layers: [...(await deepLayers(0)), await makeTar([{ name: "mine", body: "mine\n" }])],
        repoTags: ["held:latest"],
      },
    ]);
    await load(tar);
    const id = loaded[0] as string;
    const top = (await d.api.ok<{ GraphDriver: { Data: { UpperDir: string } } }>("GET", "/images/held/json"))
      .GraphDriver.Data.UpperDir;
    const c = await d.api.run({ Image: "held", Cmd: ["sh", "-c", "cat /mine; echo more >> /mine"] });
    assert.equal(await d.api.waitExit(c), 0);
    const blobs = () => readdirSync(join(d.dataRoot, "content/blobs/sha256"));
    const blobsBefore = blobs().length;

    // Docker deletes the image but the container keeps its layers: it still starts.
    const removed = await d.api.ok<Array<Record<string, string>>>("DELETE", `/images/${id}?force=1`);
    assert.deepEqual(removed, [{ Untagged: "held:latest" }, { Deleted: id }]);
    assert.equal((await d.api.call("GET", `/images/${id}/json`)).status, 404);
    await d.api.ok("POST", "/images/prune"); // runs the garbage collector
    await d.crash();
    await d.restart();
    assert.ok(existsSync(top), "the container's top layer is still on disk");
    // Its diff is still against its own layers; a commit needs the image and is refused.
    assert.deepEqual(await d.api.ok("GET", `/containers/${c}/changes`), [{ Path: "/mine", Kind: 0 }]);
    const commit = await d.api.call("POST", `/commit?container=${c}`);
    assert.equal(commit.status, 404);
    assert.equal(commit.json<{ message: string }>().message, `No such image: ${id}`);
    await d.api.ok("POST", `/containers/${c}/start`);
    assert.equal(await d.api.waitExit(c), 0);
    const logs = demux((await d.api.call("GET", `/containers/${c}/logs?stdout=1`)).body).stdout;
    assert.equal(logs, "mine\nmine\nmore\n");
    const listed = await d.api.ok<Array<{ Id: string; Image: string }>>("GET", "/containers/json?all=1");
    assert.equal(listed.find((x) => x.Id === c)?.Image, id, "ps names the image by ID once its tag is gone");

    // The last user gone, the layers no image names go too (busybox's base layer stays).
    await d.api.ok("DELETE", `/containers/${c}`);
    assert.equal(existsSync(top), false);
    assert.ok(blobs().length < blobsBefore, "the layer's blob went with it");
    assert.deepEqual(await ids(), [bbId]);
    const again = await d.api.run({ Image: "bb", Cmd: ["true"] });
    assert.equal(await d.api.waitExit(again), 0);
    await d.api.ok("DELETE", `/containers/${again}`);
  });

  test("loads and commits stop at Docker's 125 layers: max depth exceeded", async () => {
    const deep = await makeDockerArchive([{ layers: await deepLayers(124), repoTags: ["deep125:latest"] }]);
    await load(deep.tar);
    const snapshots = () => readdirSync(join(d.dataRoot, "snapshots")).sort();
    const before = snapshots();
    const tooDeep = await makeDockerArchive([
      { layers: await deepLayers(125), repoTags: ["deep126:latest"] },
    ]);
    const res = await d.api.call("POST", "/images/load", tooDeep.tar, {
      headers: { "Content-Type": "application/x-tar" },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.text()), {
      errorDetail: { message: "max depth exceeded" },
      error: "max depth exceeded",
    });
    assert.equal((await d.api.call("GET", "/images/deep126/json")).status, 404);
    assert.deepEqual(snapshots(), before, "nothing of the refused image stays");

    const c = await d.api.run({ Image: "deep125", Cmd: ["sh", "-c", "echo x > /x"] });
    assert.equal(await d.api.waitExit(c), 0);
    const commit = await d.api.call("POST", `/commit?container=${c}&repo=deep126&tag=c`);
    assert.equal(commit.status, 500);
    assert.equal(commit.json<{ message: string }>().message, "max depth exceeded");
    await d.api.ok("DELETE", `/containers/${c}`);
    assert.deepEqual(snapshots(), before, "the refused commit left nothing behind");
    await d.api.ok("DELETE", "/images/deep125");
  });

  test("crash recovery: orphans left by a crash are swept at start-up; live data untouched", async () => {
    const { ids: loaded, tar } = await makeDockerArchive([
      {
        layers: [...(await deepLayers(0)), await makeTar([{ name: "gone", body: "gone" }])],
        repoTags: ["victim:latest"],
      },
    ]);
    await load(tar);
    const running = await d.api.run({ Image: "bb", Cmd: ["sleep", "60"] });
    await d.crash();
    // A crash right after the image row was deleted, before its files were.
    const db = new DatabaseSync(join(d.dataRoot, "wharf.db"));
    db.prepare("DELETE FROM images WHERE id = ?").run(loaded[0] as string);
    db.prepare("DELETE FROM tags WHERE image_id = ?").run(loaded[0] as string);
    db.close();
    // Files a crash mid-write could leave behind.
    const orphanBlob = join(d.dataRoot, "content/blobs/sha256", "ab".repeat(32));
    writeFileSync(orphanBlob, "orphan");
    const orphanSnap = join(d.dataRoot, "snapshots", "0123456789abcdef0123456789abcdef");
    mkdirSync(join(orphanSnap, "fs"), { recursive: true });
    symlinkSync("../0123456789abcdef0123456789abcdef/fs", join(d.dataRoot, "snapshots/l/ffffffffffffffff"));
    writeFileSync(join(d.dataRoot, "content/ingest/partial"), "half");
    const snapshotsBefore = readdirSync(join(d.dataRoot, "snapshots")).length;
    await d.restart();

    assert.equal(existsSync(orphanBlob), false);
    assert.equal(existsSync(orphanSnap), false);
    assert.equal(existsSync(join(d.dataRoot, "snapshots/l/ffffffffffffffff")), false);
    assert.equal(existsSync(join(d.dataRoot, "content/ingest/partial")), false);
    // The victim's own top layer went too (2 dirs: orphan + layer); busybox and the container stayed.
    assert.equal(readdirSync(join(d.dataRoot, "snapshots")).length, snapshotsBefore - 2);
    assert.deepEqual(await ids(), [bbId]);
    const c = await d.api.run({ Image: "bb", Cmd: ["echo", "still here"] });
    assert.equal(await d.api.waitExit(c), 0);
    assert.equal(
      demux((await d.api.call("GET", `/containers/${c}/logs?stdout=1`)).body).stdout,
      "still here\n",
    );
    assert.ok(existsSync(join(d.dataRoot, "snapshots", running)));
    await d.api.call("DELETE", `/containers/${running}?force=1`);
  });
});
