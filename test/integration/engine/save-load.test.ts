// save/load against a real wharfd: deep images run, several images per archive, shared layers
// stored once, and broken or interrupted loads leave the store exactly as it was.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { sha256Digest } from "../../../src/util/digest.ts";
import { demux } from "../../helpers/api.ts";
import { deepLayers, makeDockerArchive } from "../../helpers/archives.ts";
import { isRoot, startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { importBusybox } from "../../helpers/images.ts";
import { listTar, makeTar } from "../../helpers/tars.ts";

describe("save and load", { skip: !isRoot() && "needs root" }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
    await importBusybox(d.api, "bb:latest");
  });
  after(async () => {
    await d?.stop();
  });

  const load = (tar: Buffer) =>
    d.api.call("POST", "/images/load?quiet=1", tar, { headers: { "Content-Type": "application/x-tar" } });
  const lines = (body: string) =>
    body
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { stream: string }).stream.trim());
  /** What is on disk and in the image list: must not change after a failed load. */
  const storeState = async () => ({
    blobs: readdirSync(join(d.dataRoot, "content/blobs/sha256")).sort(),
    snapshots: readdirSync(join(d.dataRoot, "snapshots")).sort(),
    ingest: readdirSync(join(d.dataRoot, "content/ingest")),
    images: (await d.api.ok<Array<{ Id: string; RepoTags: string[] }>>("GET", "/images/json"))
      .map((i) => `${i.Id} ${i.RepoTags.join(",")}`)
      .sort(),
  });

  test("a 125-layer image (Docker's most) loads and runs; whiteouts in the top layer apply", async () => {
    const { tar, ids } = await makeDockerArchive([
      { layers: await deepLayers(124), repoTags: ["deep:latest"] },
    ]);
    const res = await load(tar);
    assert.equal(res.status, 200, res.text());
    assert.deepEqual(lines(res.text()), ["Loaded image: deep:latest"]);
    const info = await d.api.ok<{ Id: string; RootFS: { Layers: string[] } }>("GET", "/images/deep/json");
    assert.equal(info.Id, ids[0]);
    assert.equal(info.RootFS.Layers.length, 125);
    const id = await d.api.run({
      Image: "deep",
      Cmd: ["sh", "-c", "ls /layers | wc -l; cat /layers/123; ls /layers/0 || true"],
    });
    assert.equal(await d.api.waitExit(id), 0);
    const out = demux((await d.api.call("GET", `/containers/${id}/logs?stdout=1`)).body).stdout;
    assert.match(out, /^123\n123\n$/);
    await d.api.ok("DELETE", `/containers/${id}`);
  });

  test("save several images in one Docker 25+ tar; shared layers written once; load restores them", async () => {
    await d.api.ok("POST", "/images/bb/tag?repo=bb&tag=second");
    const res = await d.api.call("GET", "/images/get?names=bb&names=deep");
    assert.equal(res.status, 200);
    assert.equal(res.headers["content-type"], "application/x-tar");
    const entries = await listTar(res.body);
    const names = entries.map((e) => e.name);
    for (const f of ["index.json", "manifest.json", "oci-layout", "repositories"])
      assert.ok(names.includes(f), f);
    assert.equal(new Set(names).size, names.length, "no file written twice");
    const manifest = JSON.parse(entries.find((e) => e.name === "manifest.json")?.body ?? "") as Array<{
      Config: string;
      RepoTags: string[];
      Layers: string[];
    }>;
    assert.equal(manifest.length, 2);
    const bb = manifest.find((m) => m.RepoTags.includes("bb:latest"));
    assert.deepEqual(bb?.RepoTags.sort(), ["bb:latest", "bb:second"]);
    const deep = manifest.find((m) => m.RepoTags.includes("deep:latest"));
    assert.equal(deep?.Layers[0], bb?.Layers[0], "the busybox layer is shared");
    const index = JSON.parse(entries.find((e) => e.name === "index.json")?.body ?? "") as {
      manifests: Array<{ annotations: Record<string, string> }>;
    };
    assert.deepEqual(index.manifests.map((m) => m.annotations["io.containerd.image.name"]).sort(), [
      "docker.io/library/bb:latest",
      "docker.io/library/bb:second",
      "docker.io/library/deep:latest",
    ]);

    // Loading what is already there stores nothing twice.
    const before = await storeState();
    const again = await load(res.body);
    assert.equal(again.status, 200, again.text());
    assert.deepEqual(lines(again.text()).sort(), [
      "Loaded image: bb:latest",
      "Loaded image: bb:second",
      "Loaded image: deep:latest",
    ]);
    assert.deepEqual(await storeState(), before);

    // After removing them, the same tar brings back the same images.
    const ids = (await d.api.ok<Array<{ Id: string }>>("GET", "/images/json")).map((i) => i.Id).sort();
    await d.api.ok("DELETE", "/images/deep");
    await d.api.ok("DELETE", "/images/bb:second");
    await d.api.ok("DELETE", "/images/bb");
    assert.deepEqual(await d.api.ok("GET", "/images/json"), []);
    assert.equal((await load(res.body)).status, 200);
    assert.deepEqual(
      (await d.api.ok<Array<{ Id: string }>>("GET", "/images/json")).map((i) => i.Id).sort(),
      ids,
    );
  });

  test("save by ID writes no tags; an unknown name is a 404 before any byte", async () => {
    const id = (await d.api.ok<{ Id: string }>("GET", "/images/bb/json")).Id;
    const res = await d.api.call("GET", `/images/${id.slice(7, 19)}/get`);
    assert.equal(res.status, 200);
    const manifest = JSON.parse(
      (await listTar(res.body)).find((e) => e.name === "manifest.json")?.body ?? "",
    );
    assert.deepEqual(manifest[0].RepoTags, null);
    const missing = await d.api.call("GET", "/images/get?names=bb&names=nope");
    assert.equal(missing.status, 404);
    assert.match(missing.json<{ message: string }>().message, /No such image: nope/);
  });

  test("corrupt archives are refused and leave the store as before", async () => {
    const before = await storeState();
    const good = (await d.api.call("GET", "/images/deep/get")).body;
    const layers = await deepLayers(2);
    const cases: Array<[string, Buffer]> = [
      ["truncated", good.subarray(0, Math.floor(good.length / 2))],
      ["not a tar", Buffer.from("hello world, not a tar")],
      [
        "diff ID mismatch",
        (
          await makeDockerArchive([
            {
              layers,
              repoTags: ["bad:diff"],
              diffIds: layers.map((_, i) => `sha256:${String(i).repeat(64)}`),
            },
          ])
        ).tar,
      ],
      [
        "missing layer",
        await makeTar([
          {
            name: "manifest.json",
            body: JSON.stringify([{ Config: "c.json", Layers: ["x/layer.tar"], RepoTags: ["bad:missing"] }]),
          },
          {
            name: "c.json",
            body: JSON.stringify({ rootfs: { type: "layers", diff_ids: [`sha256:${"a".repeat(64)}`] } }),
          },
        ]),
      ],
      [
        "escaping path",
        await makeTar([
          { name: "../escape", body: "x" },
          { name: "manifest.json", body: "[]" },
        ]),
      ],
      ["device entry", await makeTar([{ name: "dev", type: "character-device", devmajor: 1, devminor: 3 }])],
      [
        "layer is a symlink out of the archive",
        await makeTar([
          {
            name: "manifest.json",
            body: JSON.stringify([{ Config: "c.json", Layers: ["evil/layer.tar"], RepoTags: ["bad:link"] }]),
          },
          {
            name: "c.json",
            body: JSON.stringify({
              // A layer not in the store yet, so the loader has to read it (a known one is reused).
              rootfs: {
                type: "layers",
                diff_ids: [sha256Digest(await makeTar([{ name: "new", body: "n" }]))],
              },
            }),
          },
          { name: "evil/layer.tar", type: "symlink", linkname: "/etc/passwd" },
        ]),
      ],
      [
        "config is a symlink climbing out",
        await makeTar([
          {
            name: "manifest.json",
            body: JSON.stringify([{ Config: "c.json", Layers: [], RepoTags: ["bad:up"] }]),
          },
          { name: "c.json", type: "symlink", linkname: "../../../../etc/hostname" },
        ]),
      ],
      [
        "second image broken",
        (
          await makeDockerArchive([
            {
              layers: [layers[0] as Buffer, await makeTar([{ name: "ok2", body: "fine" }])],
              repoTags: ["good:one"],
            },
            { layers: [layers[0] as Buffer, Buffer.from("garbage layer")], repoTags: ["bad:two"] },
          ])
        ).tar,
      ],
    ];
    for (const [what, tar] of cases) {
      // Docker answers 200 and ends the stream with the error.
      const res = await load(tar);
      assert.equal(res.status, 200, what);
      const last = JSON.parse(res.text().trim().split("\n").at(-1) ?? "{}") as {
        error?: string;
        errorDetail?: { message: string };
      };
      assert.ok(last.error, `${what}: ${res.text()}`);
      assert.equal(last.errorDetail?.message, last.error, what);
      assert.deepEqual(await storeState(), before, what);
    }
  });

  test("a load interrupted mid-upload leaves the store as before", async () => {
    const before = await storeState();
    const tar = (await d.api.call("GET", "/images/deep/get")).body;
    await new Promise<void>((resolve) => {
      const req = request({
        socketPath: d.socket,
        method: "POST",
        path: "/v1.41/images/load",
        headers: { "Content-Type": "application/x-tar", "Content-Length": String(tar.length) },
      });
      req.on("error", () => resolve());
      req.on("response", () => resolve());
      const src = Readable.from([tar.subarray(0, tar.length / 3)]);
      src.on("end", () => setTimeout(() => req.destroy(), 200));
      src.pipe(req, { end: false });
    });
    for (let i = 0; i < 50; i++) {
      if ((await storeState()).ingest.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(await storeState(), before);
  });
});
