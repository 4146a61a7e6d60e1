// Ping, version negotiation, info, events and image endpoints against a real wharfd.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  createReadStream,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { cpus, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createGzip } from "node:zlib";
import { isRoot, startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { busyboxTar, importBusybox } from "../../helpers/images.ts";
import { makeTar, type TarEntry } from "../../helpers/tars.ts";

describe("system and images", { skip: !isRoot() && "needs root" }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
  });
  after(async () => {
    await d?.stop();
  });

  test("ping answers HEAD and GET with Docker's headers", async () => {
    for (const method of ["HEAD", "GET"]) {
      const res = await d.api.call(method, "/_ping", undefined, { raw: true });
      assert.equal(res.status, 200);
      assert.equal(res.headers["api-version"], "1.50");
      assert.equal(res.headers.ostype, "linux");
      assert.equal(res.headers["builder-version"], "1");
      assert.ok(res.headers.server);
      if (method === "GET") assert.equal(res.text(), "OK");
    }
  });

  test("version prefixes: served from 1.24 to 1.50, refused outside", async () => {
    assert.equal((await d.api.call("GET", "/version", undefined, { raw: true })).status, 200);
    const v = await d.api.call("GET", "/v1.24/version", undefined, { raw: true });
    assert.equal(v.status, 200);
    assert.equal(v.headers["api-version"], "1.24");
    const body = v.json<{ ApiVersion: string; MinAPIVersion: string; Os: string }>();
    assert.equal(body.ApiVersion, "1.50");
    assert.equal(body.MinAPIVersion, "1.24");
    const tooNew = await d.api.call("GET", "/v1.99/version", undefined, { raw: true });
    assert.equal(tooNew.status, 400);
    assert.match(tooNew.json<{ message: string }>().message, /client version 1.99 is too new/);
    const tooOld = await d.api.call("GET", "/v1.11/version", undefined, { raw: true });
    assert.equal(tooOld.status, 400);
    assert.match(tooOld.text(), /too old/);
    const unknown = await d.api.call("GET", "/v1.41/nope");
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.json(), { message: "page not found" });
  });

  test("import: plain and gzip tars, with changes and message; list and inspect", async () => {
    const id = await importBusybox(d.api, "bb:one");
    const gz = await d.api.call(
      "POST",
      `/images/create?fromSrc=-&repo=bb&tag=gz&message=hello&changes=${encodeURIComponent("ENV A=1")}&changes=${encodeURIComponent("WORKDIR /tmp")}`,
      undefined,
      { stream: createReadStream(await busyboxTar()).pipe(createGzip()) },
    );
    assert.equal(gz.status, 200);
    const gzId = (gz.json() as { status: string }).status;
    assert.match(gzId, /^sha256:[0-9a-f]{64}$/);
    const list = await d.api.ok<Array<{ Id: string; RepoTags: string[]; Size: number; Created: number }>>(
      "GET",
      "/images/json",
    );
    const one = list.find((i) => i.Id === id);
    assert.deepEqual(one?.RepoTags, ["bb:one"]);
    assert.ok((one?.Size ?? 0) > 1_000_000);
    const info = await d.api.ok<{
      Id: string;
      Comment: string;
      Config: { Env: string[]; WorkingDir: string };
      RootFS: { Layers: string[] };
    }>("GET", "/images/bb:gz/json");
    assert.equal(info.Id, gzId);
    assert.equal(info.Comment, "hello");
    assert.ok(info.Config.Env.includes("A=1"));
    assert.equal(info.Config.WorkingDir, "/tmp");
    assert.equal(info.RootFS.Layers.length, 1);
    const missing = await d.api.call("GET", "/images/nothere:1/json");
    assert.equal(missing.status, 404);
  });

  test("importing something that is not a tar is a 400 and leaves no blob or layer behind", async () => {
    const blobs = () => readdirSync(join(d.dataRoot, "content/blobs/sha256")).length;
    const layers = () => readdirSync(join(d.dataRoot, "snapshots/l")).length;
    const before = [blobs(), layers()];
    const res = await d.api.call(
      "POST",
      "/images/create?fromSrc=-&repo=garbage",
      Buffer.from("this is not a tar archive at all".repeat(100)),
      {
        headers: { "Content-Type": "application/x-tar" },
      },
    );
    assert.equal(res.status, 400, res.text());
    assert.deepEqual([blobs(), layers()], before);
    // A body too short to sniff for compression is still just "not a tar".
    const tiny = await d.api.call("POST", "/images/create?fromSrc=-&repo=garbage", Buffer.from("x"), {
      headers: { "Content-Type": "application/x-tar" },
    });
    assert.equal(tiny.status, 400, tiny.text());
    const badChange = await d.api.call(
      "POST",
      `/images/create?fromSrc=-&repo=garbage&changes=${encodeURIComponent("BOGUS x")}`,
      undefined,
      { headers: { "Content-Type": "application/x-tar" }, stream: createReadStream(await busyboxTar()) },
    );
    assert.equal(badChange.status, 400);
    assert.equal(badChange.json<{ message: string }>().message, "bogus is not a valid change command");
    assert.deepEqual([blobs(), layers()], before);
  });

  test("import: crafted tars are refused or contained, never written outside; refused ones leave nothing", async () => {
    const outside = mkdtempSync(join(tmpdir(), "wharf-import-outside-"));
    try {
      const blobs = () => readdirSync(join(d.dataRoot, "content/blobs/sha256")).sort();
      const snapshots = () => readdirSync(join(d.dataRoot, "snapshots")).sort();
      const before = [blobs(), snapshots()];
      const refused: Array<[string, TarEntry[], RegExp]> = [
        [
          "dotdot",
          [{ name: `../../../../../../..${outside}/dotdot`, body: "x" }],
          /Member name contains '\.\.'/,
        ],
        [
          "through a symlink",
          [
            { name: "lnk", type: "symlink", linkname: outside },
            { name: "lnk/through", body: "x" },
          ],
          /lnk\/through: Cannot open/,
        ],
        [
          "hard link out",
          [{ name: "hl", type: "link", linkname: "../../../../../../etc/hostname" }],
          /hard link hl points outside the layer/,
        ],
      ];
      for (const [what, entries, message] of refused) {
        const res = await d.api.call(
          "POST",
          "/images/create?fromSrc=-&repo=hostile",
          await makeTar(entries),
          {
            headers: { "Content-Type": "application/x-tar" },
          },
        );
        assert.equal(res.status, 400, `${what}: ${res.text()}`);
        assert.match(res.json<{ message: string }>().message, message, what);
        assert.doesNotMatch(res.json<{ message: string }>().message, /tar: tar:/);
        assert.deepEqual([blobs(), snapshots()], before, `${what} left nothing behind`);
      }
      // A leading "/" is stripped (the file lands in the image); device nodes are image content.
      const contained = await d.api.call(
        "POST",
        "/images/create?fromSrc=-&repo=contained",
        await makeTar([
          { name: `${outside}/absolute`, body: "x" },
          { name: "null2", type: "character-device", devmajor: 1, devminor: 3 },
        ]),
        { headers: { "Content-Type": "application/x-tar" } },
      );
      assert.equal(contained.status, 200, contained.text());
      const layer = (
        await d.api.ok<{ GraphDriver: { Data: { UpperDir: string } } }>("GET", "/images/contained/json")
      ).GraphDriver.Data.UpperDir;
      assert.ok(existsSync(join(layer, outside, "absolute")));
      assert.ok(lstatSync(join(layer, "null2")).isCharacterDevice());
      assert.deepEqual(readdirSync(outside), []);
      await d.api.ok("DELETE", "/images/contained");
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  test("tag and rmi with Docker's conflict rules", async () => {
    const id = await importBusybox(d.api, "rmi:a");
    assert.equal((await d.api.call("POST", `/images/rmi:a/tag?repo=127.0.0.1:5000/rmi&tag=b`)).status, 201);
    assert.equal((await d.api.call("POST", `/images/rmi:a/tag?repo=Bad`)).status, 400);
    const byId = await d.api.call("DELETE", `/images/${id}`);
    assert.equal(byId.status, 409);
    assert.match(byId.json<{ message: string }>().message, /referenced in multiple repositories/);
    assert.deepEqual(await d.api.ok("DELETE", "/images/127.0.0.1:5000/rmi:b"), [
      { Untagged: "127.0.0.1:5000/rmi:b" },
    ]);

    const { Id: ctr } = await d.api.ok<{ Id: string }>("POST", "/containers/create", {
      Image: "rmi:a",
      Cmd: ["true"],
    });
    const inUse = await d.api.call("DELETE", "/images/rmi:a");
    assert.equal(inUse.status, 409);
    assert.equal(
      inUse.json<{ message: string }>().message,
      `conflict: unable to remove repository reference "rmi:a" (must force) - container ${ctr.slice(0, 12)} is using its referenced image ${id.slice(7, 19)}`,
    );
    const inUseById = await d.api.call("DELETE", `/images/${id}`);
    assert.equal(inUseById.status, 409);
    assert.match(
      inUseById.json<{ message: string }>().message,
      new RegExp(`stopped container ${ctr.slice(0, 12)}`),
    );
    await d.api.ok("DELETE", `/containers/${ctr}`);
    const removed = await d.api.ok<Array<Record<string, string>>>("DELETE", "/images/rmi:a");
    assert.deepEqual(removed, [{ Untagged: "rmi:a" }, { Deleted: id }]);
    assert.equal((await d.api.call("GET", `/images/${id}/json`)).status, 404);
  });

  test("info reports real figures", async () => {
    await importBusybox(d.api, "info:1");
    const info0 = await d.api.ok<Record<string, number>>("GET", "/info");
    const create = async (cmd: string[]) =>
      (await d.api.ok<{ Id: string }>("POST", "/containers/create", { Image: "info:1", Cmd: cmd })).Id;
    const running = await create(["sleep", "30"]);
    const paused = await create(["sleep", "30"]);
    const stopped = await create(["true"]);
    for (const id of [running, paused]) await d.api.ok("POST", `/containers/${id}/start`);
    await d.api.ok("POST", `/containers/${paused}/pause`);
    // An /events client is counted while it streams.
    const { request } = await import("node:http");
    const stream = request({ socketPath: d.socket, path: "/v1.41/events" });
    stream.on("error", () => undefined);
    stream.end();
    await new Promise((r) => setTimeout(r, 300));
    const info = await d.api.ok<Record<string, unknown>>("GET", "/info");
    stream.destroy();
    const delta = (key: string) => (info[key] as number) - (info0[key] as number);
    assert.deepEqual(
      [
        delta("Containers"),
        delta("ContainersRunning"),
        delta("ContainersPaused"),
        delta("ContainersStopped"),
      ],
      [3, 1, 1, 1],
    );
    assert.ok((info.NEventsListener as number) >= 1);
    assert.ok((info.Images as number) >= 1);
    assert.equal(info.Driver, "overlay2");
    assert.ok(["1", "2"].includes(info.CgroupVersion as string));
    assert.equal(info.NCPU, cpus().length);
    assert.equal(info.MemTotal, totalmem());
    assert.equal(info.KernelVersion, release());
    assert.ok(Object.keys(info.Runtimes as object).includes("runc"));
    assert.equal(info.IPv4Forwarding, readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim() === "1");
    if (d.owned) {
      // Read from the host, not written down: the data root's filesystem and runc's own version.
      const fsType = execFileSync("stat", ["-f", "-c", "%T", d.dataRoot], { encoding: "utf8" }).trim();
      const backing = new Map((info.DriverStatus as string[][]).map(([k, v]) => [k, v])).get(
        "Backing Filesystem",
      );
      assert.equal(backing, fsType === "ext2/ext3" ? "extfs" : fsType);
      const runcCommit = /^commit: (\S+)/m.exec(
        execFileSync("runc", ["--version"], { encoding: "utf8" }),
      )?.[1];
      if (info.DefaultRuntime === "runc") assert.equal((info.RuncCommit as { ID: string }).ID, runcCommit);
      const version = await d.api.ok<{ Components: Array<{ Name: string; Version: string }> }>(
        "GET",
        "/version",
      );
      const runcVersion = /^runc version (\S+)/m.exec(
        execFileSync("runc", ["--version"], { encoding: "utf8" }),
      )?.[1];
      assert.equal(version.Components.find((c) => c.Name === "runc")?.Version, runcVersion);
    }
    await d.api.ok("POST", `/containers/${paused}/unpause`);
    for (const id of [running, paused, stopped]) await d.api.ok("DELETE", `/containers/${id}?force=1`);
  });

  test("events: a live stream delivers as things happen, filtered, and ends at a future until", async () => {
    await importBusybox(d.api, "evlive:1");
    const { request } = await import("node:http");
    const filters = encodeURIComponent(JSON.stringify({ event: ["create"], label: ["evlive=yes"] }));
    const until = (Date.now() / 1000 + 5).toFixed(3);
    const lines: string[] = [];
    let ended = false;
    const res = await new Promise<import("node:http").IncomingMessage>((resolve, reject) => {
      const req = request(
        { socketPath: d.socket, path: `/v1.41/events?filters=${filters}&until=${until}` },
        resolve,
      );
      req.on("error", reject);
      req.end();
    });
    assert.equal(res.statusCode, 200);
    res.on("data", (c: Buffer) => lines.push(...c.toString().split("\n").filter(Boolean)));
    res.on("end", () => {
      ended = true;
    });
    const create = async (labels: Record<string, string>) =>
      (await d.api.ok<{ Id: string }>("POST", "/containers/create", { Image: "evlive:1", Labels: labels }))
        .Id;
    await create({ other: "x" });
    const wanted = await create({ evlive: "yes" });
    for (let i = 0; i < 100 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(ended, false, "the stream stays open until `until`");
    assert.deepEqual(
      lines.map((l) => JSON.parse(l) as { Action: string; id: string }).map((e) => [e.Action, e.id]),
      [["create", wanted]],
    );
    for (let i = 0; i < 300 && !ended; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(ended, true, "the stream ends once `until` has passed");
  });

  test("events: replay with since/until and filters", async () => {
    await importBusybox(d.api, "ev:1");
    const since = Date.now() / 1000;
    const { Id } = await d.api.ok<{ Id: string }>("POST", "/containers/create", {
      Image: "ev:1",
      Cmd: ["true"],
      Labels: { evtest: "yes" },
    });
    await d.api.ok("POST", `/containers/${Id}/start`);
    await d.api.waitExit(Id);
    await d.api.ok("DELETE", `/containers/${Id}`);
    const until = Date.now() / 1000 + 0.001;
    const filters = encodeURIComponent(JSON.stringify({ type: { container: true }, label: ["evtest=yes"] }));
    const res = await d.api.call(
      "GET",
      `/events?since=${since.toFixed(3)}&until=${until.toFixed(3)}&filters=${filters}`,
    );
    assert.equal(res.status, 200);
    const events = res
      .text()
      .trim()
      .split("\n")
      .map(
        (l) =>
          JSON.parse(l) as {
            Action: string;
            status: string;
            id: string;
            Actor: { Attributes: Record<string, string> };
          },
      );
    assert.deepEqual(
      events.map((e) => e.Action),
      ["create", "start", "die", "destroy"],
    );
    assert.equal(events[2]?.Actor.Attributes.exitCode, "0");
    // timeNano is an exact int64 on the wire (more digits than a double holds), consistent with time.
    for (const m of res.text().matchAll(/"time":(\d+),"timeNano":(\d+)/g)) {
      assert.equal(BigInt(m[2] as string) / 1_000_000_000n, BigInt(m[1] as string));
    }
    assert.equal([...res.text().matchAll(/"timeNano":\d{19}/g)].length, 4);
    assert.equal(events[0]?.status, "create");
    assert.equal(events[0]?.id, Id);
  });
});
