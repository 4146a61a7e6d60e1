// Volumes and mounts against a real wharfd: named/anonymous volumes, binds, tmpfs, --mount,
// volumes-from, copy-up from an image VOLUME, lifecycle with rm -v / --rm, and bad input.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { chown } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { demux } from "../../helpers/api.ts";
import { isRoot, startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { importBusybox } from "../../helpers/images.ts";

const skip = !isRoot() && "needs root";

interface VolumeShape {
  Name: string;
  Driver: string;
  Mountpoint: string;
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
  Scope: string;
  CreatedAt: string;
}

interface MountShape {
  Type: string;
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

/** A busybox image whose /data (a VOLUME) holds files with their own owner and modes, and a
 * symlink pointing out of the rootfs. */
async function importDataImage(d: TestDaemon, dir: string): Promise<void> {
  const root = join(dir, "rootfs");
  mkdirSync(join(root, "bin"), { recursive: true });
  execFileSync("cp", ["/bin/busybox", join(root, "bin/busybox")]);
  for (const applet of [
    "sh",
    "cat",
    "ls",
    "stat",
    "echo",
    "touch",
    "id",
    "dd",
    "sleep",
    "mkdir",
    "df",
    "grep",
  ]) {
    symlinkSync("busybox", join(root, "bin", applet));
  }
  mkdirSync(join(root, "data/sub"), { recursive: true });
  writeFileSync(join(root, "data/f"), "from-image\n", { mode: 0o640 });
  writeFileSync(join(root, "data/sub/g"), "nested\n");
  // Copied as a link, never followed (escaping links are covered by the copy-up unit test: the
  // image importer refuses them in layers).
  symlinkSync("../bin/busybox", join(root, "data/link"));
  await chown(join(root, "data/f"), 1234, 99);
  // A user.* attribute travels in the layer (tar --xattrs) and must survive copy-up.
  execFileSync("setfattr", ["-n", "user.origin", "-v", "image", join(root, "data/f")]);
  await chown(join(root, "data/sub"), 42, 43);
  execFileSync("chmod", ["0750", join(root, "data/sub")]);
  execFileSync("chmod", ["0711", join(root, "data")]);
  const tar = join(dir, "img.tar");
  execFileSync("tar", ["--xattrs", "--xattrs-include=user.*", "-C", root, "-cf", tar, "bin", "data"]);
  const changes = ['CMD ["sh"]', "VOLUME /data"].map((c) => `changes=${encodeURIComponent(c)}`).join("&");
  const res = await d.api.call("POST", `/images/create?fromSrc=-&repo=voldata:latest&${changes}`, undefined, {
    headers: { "Content-Type": "application/x-tar" },
    stream: createReadStream(tar),
  });
  assert.equal(res.status, 200, res.text());
}

describe("volumes", { skip }, () => {
  let d: TestDaemon;
  let tmp: string;
  before(async () => {
    d = await startDaemon();
    tmp = mkdtempSync("/tmp/wharf-vol-test-");
    await importBusybox(d.api);
    await importDataImage(d, tmp);
  });
  after(async () => {
    await d?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const sh = (
    script: string,
    hostConfig: Record<string, unknown> = {},
    extra: Record<string, unknown> = {},
  ) => ({
    Image: "busybox",
    Cmd: ["sh", "-c", script],
    HostConfig: hostConfig,
    ...extra,
  });

  /** Runs to completion; returns exit code and stdout+stderr. */
  async function runOut(body: Record<string, unknown>): Promise<{ code: number; out: string; id: string }> {
    const id = await d.api.run(body);
    const code = await d.api.waitExit(id);
    const logs = demux((await d.api.call("GET", `/containers/${id}/logs?stdout=1&stderr=1`)).body);
    return { code, out: logs.stdout + logs.stderr, id };
  }

  const volumeNames = async () =>
    (await d.api.ok<{ Volumes: VolumeShape[] }>("GET", "/volumes")).Volumes.map((v) => v.Name);

  test("create, inspect, list with filters, remove", async () => {
    const created = await d.api.call("POST", "/volumes/create", { Name: "v-api", Labels: { tier: "db" } });
    assert.equal(created.status, 201);
    const v = created.json<VolumeShape>();
    assert.equal(v.Name, "v-api");
    assert.equal(v.Driver, "local");
    assert.equal(v.Scope, "local");
    assert.deepEqual(v.Labels, { tier: "db" });
    assert.equal(v.Options, null);
    assert.match(v.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    if (d.owned) assert.equal(v.Mountpoint, join(d.dataRoot, "volumes/v-api/_data"));
    assert.ok(statSync(v.Mountpoint).isDirectory());
    // Creating it again answers the existing volume.
    const again = await d.api.ok<VolumeShape>("POST", "/volumes/create", { Name: "v-api" });
    assert.deepEqual(again.Labels, { tier: "db" });

    const anon = await d.api.ok<VolumeShape>("POST", "/volumes/create", {});
    assert.match(anon.Name, /^[0-9a-f]{64}$/);
    assert.deepEqual(anon.Labels, { "com.docker.volume.anonymous": "" });

    const q = (f: object) => `/volumes?filters=${encodeURIComponent(JSON.stringify(f))}`;
    const names = async (f: object) =>
      (await d.api.ok<{ Volumes: VolumeShape[] }>("GET", q(f))).Volumes.map((x) => x.Name);
    assert.deepEqual(await names({ label: { "tier=db": true } }), ["v-api"]);
    assert.deepEqual(await names({ name: { "v-a": true } }), ["v-api"]);
    assert.ok((await names({ driver: { local: true } })).includes(anon.Name));
    assert.ok((await names({ dangling: { true: true } })).includes("v-api"));
    assert.equal((await d.api.call("GET", q({ bogus: { x: true } }))).status, 400);
    assert.equal((await d.api.call("GET", q({ dangling: { maybe: true } }))).status, 400);

    assert.equal((await d.api.call("GET", "/volumes/v-api")).status, 200);
    assert.equal((await d.api.call("DELETE", "/volumes/v-api")).status, 204);
    assert.equal(existsSync(v.Mountpoint), false);
    const gone = await d.api.call("GET", "/volumes/v-api");
    assert.equal(gone.status, 404);
    assert.equal(gone.json<{ message: string }>().message, "get v-api: no such volume");
    assert.equal((await d.api.call("DELETE", "/volumes/v-api")).status, 404);
    assert.equal((await d.api.call("DELETE", "/volumes/v-api?force=1")).status, 204);
    await d.api.ok("DELETE", `/volumes/${anon.Name}`);
  });

  test("bad volume names and driver options are refused and leave nothing behind", async () => {
    const before = d.owned ? readdirSync(join(d.dataRoot, "volumes")) : [];
    for (const [body, message] of [
      [{ Name: "a/b" }, /includes invalid characters for a local volume name/],
      [{ Name: ".." }, /includes invalid characters/],
      [{ Name: "../../etc" }, /includes invalid characters/],
      [{ Name: "x" }, /too short/],
      [{ Name: "v-bad", DriverOpts: { foo: "bar" } }, /invalid option: "foo"/],
      [{ Name: "v-bad", DriverOpts: { type: "tmpfs" } }, /missing required option: "device"/],
      [{ Name: "v-bad", DriverOpts: { device: "/tmp" } }, /missing required option: "type"/],
      // moby's mandatoryOpts: "o" needs device and type; device is named first.
      [{ Name: "v-bad", DriverOpts: { o: "size=1m" } }, /^create v-bad: missing required option: "device"$/],
    ] as const) {
      const res = await d.api.call("POST", "/volumes/create", body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.json<{ message: string }>().message, message);
    }
    const plugin = await d.api.call("POST", "/volumes/create", { Name: "v-x", Driver: "nfs-plugin" });
    assert.equal(plugin.status, 404);
    assert.equal(
      plugin.json<{ message: string }>().message,
      'create v-x: error looking up volume plugin nfs-plugin: plugin "nfs-plugin" not found',
    );
    if (d.owned) assert.deepEqual(readdirSync(join(d.dataRoot, "volumes")), before);
    assert.ok(!(await volumeNames()).includes("v-bad"));
  });

  test("data in a named volume survives rm and is seen by a new container", async () => {
    const w = await runOut(sh("echo persisted > /data/file", { Binds: ["v-keep:/data"] }));
    assert.equal(w.code, 0, w.out);
    await d.api.ok("DELETE", `/containers/${w.id}?v=1`);
    assert.ok((await volumeNames()).includes("v-keep"), "rm -v keeps named volumes");
    const r = await runOut(
      sh("cat /data/file", { Mounts: [{ Type: "volume", Source: "v-keep", Target: "/data" }] }),
    );
    assert.equal(r.out, "persisted\n");
    const info = await d.api.ok<{ Mounts: MountShape[] }>("GET", `/containers/${r.id}/json`);
    assert.equal(info.Mounts.length, 1);
    const m = info.Mounts[0] as MountShape;
    assert.equal(m.Type, "volume");
    assert.equal(m.Name, "v-keep");
    assert.equal(m.Destination, "/data");
    assert.equal(m.Driver, "local");
    assert.equal(m.RW, true);
    assert.equal(m.Mode, "z");
    const until = Math.ceil(Date.now() / 1000) + 1;
    const evq = encodeURIComponent(JSON.stringify({ type: ["volume"], volume: ["v-keep"] }));
    const events = (await d.api.call("GET", `/events?since=0&until=${until}&filters=${evq}`)).text();
    const actions = events
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { Action: string }).Action);
    assert.deepEqual(actions.slice(0, 3), ["create", "mount", "unmount"]);
    const byVolume = async (v: string) => {
      const q = encodeURIComponent(JSON.stringify({ volume: [v] }));
      return (await d.api.ok<Array<{ Id: string }>>("GET", `/containers/json?all=1&filters=${q}`)).map(
        (c) => c.Id,
      );
    };
    assert.deepEqual(await byVolume("v-keep"), [r.id]);
    assert.deepEqual(await byVolume("/data"), [r.id]);
    assert.deepEqual(await byVolume("v-other"), []);
    // system df: the volume's bytes ("persisted\n") and the one container that uses it.
    const df = await d.api.ok<{
      Volumes: Array<VolumeShape & { UsageData: { Size: number; RefCount: number } }>;
    }>("GET", "/system/df?type=volume");
    assert.deepEqual(df.Volumes.find((v) => v.Name === "v-keep")?.UsageData, { Size: 10, RefCount: 1 });
    const inUse = await d.api.call("DELETE", "/volumes/v-keep");
    assert.equal(inUse.status, 409);
    assert.equal(inUse.json<{ message: string }>().message, `remove v-keep: volume is in use - [${r.id}]`);
    assert.equal((await d.api.call("DELETE", "/volumes/v-keep?force=1")).status, 409);
    await d.api.ok("DELETE", `/containers/${r.id}`);
    await d.api.ok("DELETE", "/volumes/v-keep");
  });

  test("volume subpath: only that part of the volume is mounted; missing or escaping paths fail at start", async () => {
    const w = await runOut(
      sh(
        "mkdir -p /v/sub && echo in-sub > /v/sub/f && echo at-root > /v/top && ln -s /etc /v/abs && ln -s ../.. /v/up",
        {
          Binds: ["v-subpath:/v"],
        },
      ),
    );
    assert.equal(w.code, 0, w.out);
    const sub = (subpath: string, script: string) =>
      sh(script, {
        Mounts: [{ Type: "volume", Source: "v-subpath", Target: "/s", VolumeOptions: { Subpath: subpath } }],
      });
    const r = await runOut(sub("sub", "cat /s/f; ls /s; echo written > /s/new"));
    assert.equal(r.code, 0, r.out);
    assert.equal(r.out, "in-sub\nf\n", "the volume's root (top) is not visible");
    const back = await runOut(sh("cat /v/sub/new", { Binds: ["v-subpath:/v"] }));
    assert.equal(back.out, "written\n", "writes land in the subpath of the volume");
    const info = await d.api.ok<{ Mounts: MountShape[] }>("GET", `/containers/${r.id}/json`);
    assert.equal(info.Mounts[0]?.Name, "v-subpath");
    for (const [subpath, message] of [
      ["missing", /^cannot access path \/.*\/v-subpath\/_data\/missing: no such file or directory$/],
      ["abs", /^cannot access path \/.*\/_data\/abs: path \/etc escapes the base /],
      ["up", /^cannot access path \/.*\/_data\/up: path .* escapes the base /],
    ] as const) {
      const { Id } = await d.api.ok<{ Id: string }>("POST", "/containers/create", sub(subpath, "true"));
      const start = await d.api.call("POST", `/containers/${Id}/start`);
      assert.equal(start.status, 400, `${subpath}: ${start.text()}`);
      assert.match(start.json<{ message: string }>().message, message);
      assert.equal(
        (await d.api.ok<{ State: { Running: boolean } }>("GET", `/containers/${Id}/json`)).State.Running,
        false,
      );
      await d.api.ok("DELETE", `/containers/${Id}`);
    }
    for (const [mount, message] of [
      [
        { Type: "volume", Source: "v-subpath", Target: "/s", VolumeOptions: { Subpath: "../x" } },
        'invalid mount config for type "volume": subpath must be a relative path within the volume',
      ],
      [
        { Type: "volume", Source: "v-subpath", Target: "/s", VolumeOptions: { Subpath: "/etc" } },
        'invalid mount config for type "volume": subpath must be a relative path within the volume',
      ],
      [
        { Type: "volume", Target: "/s", VolumeOptions: { Subpath: "sub" } },
        'invalid mount config for type "volume": must not set Subpath when using anonymous volumes',
      ],
    ] as const) {
      const res = await d.api.call("POST", "/containers/create", sh("true", { Mounts: [mount] }));
      assert.equal(res.status, 400, res.text());
      assert.equal(res.json<{ message: string }>().message, message);
    }
    for (const id of [w.id, r.id, back.id]) await d.api.ok("DELETE", `/containers/${id}`);
    await d.api.ok("DELETE", "/volumes/v-subpath");
  });

  test("two running containers share a volume", async () => {
    const a = await d.api.run(
      sh("echo from-a > /shared/a; while [ ! -f /shared/b ]; do sleep 0.05; done; cat /shared/b", {
        Binds: ["v-share:/shared"],
      }),
    );
    const b = await runOut(
      sh("while [ ! -f /shared/a ]; do sleep 0.05; done; cat /shared/a; echo from-b > /shared/b", {
        Binds: ["v-share:/shared"],
      }),
    );
    assert.equal(b.out, "from-a\n");
    assert.equal(await d.api.waitExit(a), 0);
    const logs = demux((await d.api.call("GET", `/containers/${a}/logs?stdout=1`)).body);
    assert.equal(logs.stdout, "from-b\n");
    await d.api.ok("DELETE", `/containers/${a}`);
    await d.api.ok("DELETE", `/containers/${b.id}`);
    await d.api.ok("DELETE", "/volumes/v-share");
  });

  test("read-only mounts refuse writes: -v :ro, --mount readonly, bind :ro", async () => {
    const host = join(tmp, "ro-host");
    mkdirSync(host);
    writeFileSync(join(host, "seen"), "host-file\n");
    const r = await runOut(
      sh(
        "cat /b/seen; touch /v/x 2>/dev/null && echo v-writable; touch /m/x 2>/dev/null && echo m-writable; touch /b/x 2>/dev/null && echo b-writable; echo done",
        {
          Binds: ["v-ro:/v:ro", `${host}:/b:ro`],
          Mounts: [{ Type: "volume", Source: "v-ro2", Target: "/m", ReadOnly: true }],
        },
      ),
    );
    assert.equal(r.out, "host-file\ndone\n");
    assert.equal(existsSync(join(host, "x")), false);
    const info = await d.api.ok<{ Mounts: MountShape[] }>("GET", `/containers/${r.id}/json`);
    const bind = info.Mounts.find((m) => m.Destination === "/b") as MountShape;
    assert.deepEqual(bind, {
      Type: "bind",
      Source: host,
      Destination: "/b",
      Mode: "ro",
      RW: false,
      Propagation: "rprivate",
    });
    assert.equal(info.Mounts.find((m) => m.Destination === "/m")?.RW, false);
    await d.api.ok("DELETE", `/containers/${r.id}`);
    await d.api.ok("DELETE", "/volumes/v-ro");
    await d.api.ok("DELETE", "/volumes/v-ro2");
  });

  test("read-only binds are recursively read-only for API 1.44+ clients, top-only before, as Docker", async (t) => {
    const info = await d.api.ok<{ DefaultRuntime: string }>("GET", "/info");
    const features = spawnSync(info.DefaultRuntime, ["features"], { encoding: "utf8" });
    if (features.status !== 0 || !features.stdout.includes('"rro"'))
      return t.skip(`${info.DefaultRuntime} cannot make mounts recursively read-only here`);
    const src = join(tmp, "rro-src");
    mkdirSync(join(src, "sub"), { recursive: true });
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", join(src, "sub")]);
    t.after(() => spawnSync("umount", ["-l", join(src, "sub")]));
    const script =
      "touch /b/top 2>/dev/null && echo top-writable; touch /b/sub/x 2>/dev/null && echo sub-writable; echo done";
    const create = (version: string, hostConfig: Record<string, unknown>) =>
      d.api.call("POST", `/v${version}/containers/create`, sh(script, hostConfig), { raw: true });
    const runAt = async (version: string, hostConfig: Record<string, unknown>) => {
      const res = await create(version, hostConfig);
      assert.equal(res.status, 201, res.text());
      const { Id } = res.json<{ Id: string }>();
      await d.api.ok("POST", `/containers/${Id}/start`);
      assert.equal(await d.api.waitExit(Id), 0);
      const out = demux((await d.api.call("GET", `/containers/${Id}/logs?stdout=1&stderr=1`)).body).stdout;
      await d.api.ok("DELETE", `/containers/${Id}`);
      return out;
    };
    const bind = (options: Record<string, unknown>) => ({
      Mounts: [{ Type: "bind", Source: src, Target: "/b", ReadOnly: true, BindOptions: options }],
    });
    assert.equal(await runAt("1.50", { Binds: [`${src}:/b:ro`] }), "done\n");
    assert.equal(await runAt("1.41", { Binds: [`${src}:/b:ro`] }), "sub-writable\ndone\n");
    assert.equal(await runAt("1.50", bind({})), "done\n");
    assert.equal(await runAt("1.50", bind({ ReadOnlyNonRecursive: true })), "sub-writable\ndone\n");
    assert.equal(await runAt("1.50", bind({ ReadOnlyForceRecursive: true })), "done\n");
    assert.equal(await runAt("1.41", bind({})), "sub-writable\ndone\n");
    for (const [version, hostConfig, message] of [
      [
        "1.41",
        bind({ ReadOnlyForceRecursive: true }),
        "BindOptions.ReadOnlyForceRecursive needs API v1.44 or newer",
      ],
      [
        "1.50",
        bind({ ReadOnlyNonRecursive: true, ReadOnlyForceRecursive: true }),
        "mount options conflict: ReadOnlyNonRecursive && ReadOnlyForceRecursive",
      ],
      [
        "1.50",
        {
          Mounts: [{ Type: "bind", Source: src, Target: "/b", BindOptions: { ReadOnlyNonRecursive: true } }],
        },
        "mount options conflict: !ReadOnly && BindOptions.ReadOnlyNonRecursive",
      ],
    ] as const) {
      const res = await create(version, hostConfig);
      assert.equal(res.status, 400, res.text());
      assert.equal(res.json<{ message: string }>().message, message);
    }
    assert.equal(existsSync(join(src, "top")), false);
  });

  test("bind mounts: writes reach the host; a missing -v host path is created, a missing --mount source is refused", async () => {
    const host = join(tmp, "rw-host");
    mkdirSync(host);
    const w = await runOut(
      sh("echo hi > /h/out", { Mounts: [{ Type: "bind", Source: host, Target: "/h" }] }),
    );
    assert.equal(w.code, 0, w.out);
    assert.equal(execFileSync("cat", [join(host, "out")]).toString(), "hi\n");
    const missing = join(tmp, "made-by-v", "deeper");
    const c = await runOut(sh("ls -d /x", { Binds: [`${missing}:/x`] }));
    assert.equal(c.code, 0, c.out);
    assert.ok(statSync(missing).isDirectory());
    const wanted = join(tmp, "made-by-mount");
    const cm = await runOut(
      sh("ls -d /y", {
        Mounts: [{ Type: "bind", Source: wanted, Target: "/y", BindOptions: { CreateMountpoint: true } }],
      }),
    );
    assert.equal(cm.code, 0, cm.out);
    assert.ok(statSync(wanted).isDirectory());
    const refused = await d.api.call(
      "POST",
      "/containers/create",
      sh("true", {
        Mounts: [{ Type: "bind", Source: join(tmp, "nope"), Target: "/x" }],
      }),
    );
    assert.equal(refused.status, 400);
    assert.equal(
      refused.json<{ message: string }>().message,
      `invalid mount config for type "bind": bind source path does not exist: ${join(tmp, "nope")}`,
    );
    assert.equal(existsSync(join(tmp, "nope")), false);
  });

  test("tmpfs is empty at each start and size-limited (--tmpfs and --mount type=tmpfs)", async () => {
    const script =
      "ls -A /t /u; echo x > /t/f; echo y > /u/f; dd if=/dev/zero of=/u/big bs=1024 count=2048 2>/dev/null && echo u-fit; grep -E ' /(t|u) ' /proc/mounts | cut -d' ' -f2-4";
    const id = await d.api.run(
      sh(script, {
        Tmpfs: { "/t": "size=1m" },
        Mounts: [{ Type: "tmpfs", Target: "/u", TmpfsOptions: { SizeBytes: 1024 * 1024, Mode: 0o1770 } }],
      }),
    );
    assert.equal(await d.api.waitExit(id), 0);
    await d.api.ok("POST", `/containers/${id}/start`);
    assert.equal(await d.api.waitExit(id), 0);
    const out = demux((await d.api.call("GET", `/containers/${id}/logs?stdout=1&stderr=1`)).body).stdout;
    // Both runs list empty dirs, and the 2 MiB write never fits into 1 MiB.
    const runs = out.split("/t:\n").filter((s) => s !== "");
    assert.equal(runs.length, 2, out);
    for (const run of runs) {
      assert.doesNotMatch(run, /^f$/m, out);
      assert.doesNotMatch(run, /u-fit/);
      assert.match(run, /\/u tmpfs rw,.*size=1024k,mode=1770/);
    }
    const info = await d.api.ok<{ Mounts: MountShape[] }>("GET", `/containers/${id}/json`);
    assert.deepEqual(info.Mounts, [
      { Type: "tmpfs", Source: "", Destination: "/u", Mode: "", RW: true, Propagation: "" },
    ]);
    await d.api.ok("DELETE", `/containers/${id}`);
  });

  test("copy-up: an image VOLUME gets an anonymous volume filled with the image's content", async () => {
    const r = await runOut({
      Image: "voldata",
      Cmd: [
        "sh",
        "-c",
        "cat /data/f; stat -c '%u:%g %a' /data /data/f /data/sub; cat /data/sub/g; readlink /data/link",
      ],
    });
    assert.equal(r.code, 0, r.out);
    assert.equal(r.out, "from-image\n0:0 711\n1234:99 640\n42:43 750\nnested\n../bin/busybox\n");
    const info = await d.api.ok<{ Mounts: MountShape[]; Config: { Volumes: Record<string, object> } }>(
      "GET",
      `/containers/${r.id}/json`,
    );
    assert.deepEqual(info.Config.Volumes, { "/data": {} });
    const m = info.Mounts[0] as MountShape;
    assert.equal(m.Type, "volume");
    assert.match(m.Name ?? "", /^[0-9a-f]{64}$/);
    assert.equal(m.Mode, "");
    // The symlink was copied as a link; nothing was read through it.
    const v = await d.api.ok<VolumeShape>("GET", `/volumes/${m.Name}`);
    assert.deepEqual(v.Labels, { "com.docker.volume.anonymous": "" });

    // A new, empty named volume is filled too; nocopy leaves it empty; a non-empty one is kept.
    const named = await runOut({
      Image: "voldata",
      Cmd: ["cat", "/data/f"],
      HostConfig: { Binds: ["v-copy:/data"] },
    });
    assert.equal(named.out, "from-image\n");
    if (d.owned) {
      const attr = execFileSync("getfattr", [
        "-n",
        "user.origin",
        join(d.dataRoot, "volumes/v-copy/_data/f"),
      ]).toString();
      assert.match(attr, /^user\.origin="image"$/m);
    }
    const nocopy = await runOut({
      Image: "voldata",
      Cmd: ["ls", "-A", "/data"],
      HostConfig: { Binds: ["v-nocopy:/data:nocopy"] },
    });
    assert.equal(nocopy.out, "");
    const nocopy2 = await runOut({
      Image: "voldata",
      Cmd: ["ls", "-A", "/data"],
      HostConfig: {
        Mounts: [{ Type: "volume", Source: "v-nocopy2", Target: "/data", VolumeOptions: { NoCopy: true } }],
      },
    });
    assert.equal(nocopy2.out, "");
    for (const id of [r.id, named.id, nocopy.id, nocopy2.id])
      await d.api.ok("DELETE", `/containers/${id}?v=1`);
    assert.equal(
      (await d.api.call("GET", `/volumes/${m.Name}`)).status,
      404,
      "rm -v removed the anonymous volume",
    );
    for (const n of ["v-copy", "v-nocopy", "v-nocopy2"]) await d.api.ok("DELETE", `/volumes/${n}`);
  });

  test("copy-up waits until no running container has the volume (none can race it)", async () => {
    const holder = await d.api.run(sh("sleep 60", { Binds: ["v-guard:/x"] }));
    const b = await runOut({
      Image: "voldata",
      Cmd: ["ls", "-A", "/data"],
      HostConfig: { Binds: ["v-guard:/data"] },
    });
    assert.equal(b.out, "");
    await d.api.ok("POST", `/containers/${holder}/kill`);
    await d.api.waitExit(holder);
    const c = await runOut({
      Image: "voldata",
      Cmd: ["cat", "/data/f"],
      HostConfig: { Binds: ["v-guard:/data"] },
    });
    assert.equal(c.out, "from-image\n");
    for (const id of [holder, b.id, c.id]) await d.api.ok("DELETE", `/containers/${id}`);
    await d.api.ok("DELETE", "/volumes/v-guard");
  });

  test("--volumes-from shares the other container's mounts, :ro makes them read-only", async () => {
    const src = await runOut(
      sh("echo shared > /vf/x", { Binds: ["v-from:/vf"] }, { Volumes: { "/anon": {} } }),
    );
    const srcName = (await d.api.ok<{ Name: string }>("GET", `/containers/${src.id}/json`)).Name.slice(1);
    const rw = await runOut(
      sh("cat /vf/x; echo more >> /vf/x && echo wrote; ls -d /anon", { VolumesFrom: [srcName] }),
    );
    assert.equal(rw.out, "shared\nwrote\n/anon\n");
    const ro = await runOut(
      sh("cat /vf/x; (echo nope >> /vf/x) 2>/dev/null || echo refused", { VolumesFrom: [`${src.id}:ro`] }),
    );
    assert.equal(ro.out, "shared\nmore\nrefused\n");
    const info = await d.api.ok<{ Mounts: MountShape[] }>("GET", `/containers/${ro.id}/json`);
    assert.deepEqual(info.Mounts.map((m) => [m.Destination, m.RW]).sort(), [
      ["/anon", false],
      ["/vf", false],
    ]);
    assert.ok(
      info.Mounts.every((m) => m.Mode === ""),
      "mounts taken by volumes-from show no Mode, as Docker",
    );
    // A mode only takes writes away: ":rw" (or "z") from a container whose mount is read-only
    // keeps it read-only; "ro,z" is a mode Docker accepts.
    const roSrc = await runOut(sh("true", { Binds: ["v-from:/vf:ro"] }));
    for (const spec of [`${roSrc.id}:rw`, `${roSrc.id}:z`, `${src.id}:ro,z`]) {
      const r = await runOut(
        sh("(echo x >> /vf/x) 2>/dev/null && echo wrote || echo refused", { VolumesFrom: [spec] }),
      );
      assert.equal(r.out, "refused\n", spec);
      await d.api.ok("DELETE", `/containers/${r.id}`);
    }
    // A bad reference is a bad request (400), never a 404 the docker CLI would take for a
    // missing image and try to pull.
    for (const [spec, message] of [
      ["no-such-ctr", "No such container: no-such-ctr"],
      ["", "volumes-from specification cannot be an empty string"],
      [`${src.id}:rshared`, "invalid mode: rshared"],
      [`${src.id}:nocopy`, "invalid mode: nocopy"],
    ] as const) {
      const res = await d.api.call("POST", "/containers/create", sh("true", { VolumesFrom: [spec] }));
      assert.equal(res.status, 400, spec);
      assert.equal(res.json<{ message: string }>().message, message);
    }
    for (const id of [rw.id, ro.id, src.id, roSrc.id]) await d.api.ok("DELETE", `/containers/${id}?v=1`);
    await d.api.ok("DELETE", "/volumes/v-from");
  });

  test("anonymous volumes go with rm -v and --rm; named ones stay; prune takes only anonymous ones", async () => {
    const before = new Set(await volumeNames());
    const keep = await runOut(sh("true", { Binds: ["v-life:/n"] }, { Volumes: { "/a": {} } }));
    const anonOf = async (id: string) =>
      (await d.api.ok<{ Mounts: MountShape[] }>("GET", `/containers/${id}/json`)).Mounts.find(
        (m) => m.Destination === "/a",
      )?.Name as string;
    const anon1 = await anonOf(keep.id);
    await d.api.ok("DELETE", `/containers/${keep.id}`);
    let names = await volumeNames();
    assert.ok(names.includes(anon1), "plain rm keeps anonymous volumes");
    assert.ok(names.includes("v-life"));

    const auto = await d.api.run(
      sh("true", { AutoRemove: true, Binds: ["v-life:/n"] }, { Volumes: { "/a": {} } }),
    );
    const anon2 = await anonOf(auto);
    await d.api.call("POST", `/containers/${auto}/wait?condition=removed`);
    names = await volumeNames();
    assert.ok(!names.includes(anon2), "--rm drops its anonymous volume");
    assert.ok(names.includes("v-life"), "--rm keeps named volumes");

    // TestApi speaks API 1.41: a client that old expects prune to take named volumes too. An
    // unscoped prune is only for a daemon of this test's own.
    if (!d.owned) {
      await d.api.ok("DELETE", `/volumes/${anon1}`);
      await d.api.ok("DELETE", "/volumes/v-life");
      return;
    }
    const pruned = await d.api.ok<{ VolumesDeleted: string[] }>("POST", "/volumes/prune");
    assert.ok(pruned.VolumesDeleted.includes(anon1));
    assert.ok(pruned.VolumesDeleted.includes("v-life"));
    assert.deepEqual(
      new Set(await volumeNames()),
      new Set([...before].filter((n) => !pruned.VolumesDeleted.includes(n))),
    );
  });

  test("prune at API 1.42+: anonymous only unless all=true, label filters", async () => {
    await d.api.ok("POST", "/volumes/create", { Name: "v-prune-named", Labels: { p: "1" } });
    const anon = await d.api.ok<VolumeShape>("POST", "/volumes/create", { Labels: { p: "1" } });
    const inUse = await d.api.ok<{ Id: string }>(
      "POST",
      "/containers/create",
      sh("true", { Binds: ["v-prune-used:/u"] }),
    );
    const v150 = async (filters: object) => {
      const res = await d.api.call(
        "POST",
        `/v1.50/volumes/prune?filters=${encodeURIComponent(JSON.stringify(filters))}`,
        undefined,
        { raw: true },
      );
      assert.equal(res.status, 200, res.text());
      return res.json<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>();
    };
    const first = await v150({ label: { "p=1": true } });
    assert.deepEqual(first.VolumesDeleted, [anon.Name]);
    const second = await v150({ all: { true: true }, label: { "p=1": true } });
    assert.deepEqual(second.VolumesDeleted, ["v-prune-named"]);
    assert.ok((await volumeNames()).includes("v-prune-used"), "in-use volumes are never pruned");
    const bad = await d.api.call(
      "POST",
      `/v1.50/volumes/prune?filters=${encodeURIComponent('{"until":{"1h":true}}')}`,
      undefined,
      { raw: true },
    );
    assert.equal(bad.status, 400);
    await d.api.ok("DELETE", `/containers/${inUse.Id}`);
    await d.api.ok("DELETE", "/volumes/v-prune-used");
  });

  test("tmpfs and bind-style volumes from driver options", async () => {
    await d.api.ok("POST", "/volumes/create", {
      Name: "v-tmpfs",
      DriverOpts: { type: "tmpfs", device: "tmpfs", o: "size=1m" },
    });
    const v = await d.api.ok<VolumeShape>("GET", "/volumes/v-tmpfs");
    assert.deepEqual(v.Options, { type: "tmpfs", device: "tmpfs", o: "size=1m" });
    // Keys in Go's order (sorted), so raw output (wharf volume inspect) reads as Docker's.
    assert.deepEqual(Object.keys(v.Options ?? {}), ["device", "o", "type"]);
    const r = await runOut(
      sh(
        "grep ' /t ' /proc/mounts | cut -d' ' -f3; dd if=/dev/zero of=/t/big bs=1024 count=2048 2>/dev/null || echo full",
        { Binds: ["v-tmpfs:/t"] },
      ),
    );
    assert.equal(r.out, "tmpfs\nfull\n");
    // Removal waits for the run's cleanup, after which nothing holds the tmpfs mounted.
    await d.api.ok("DELETE", `/containers/${r.id}`);
    if (d.owned) {
      assert.equal(
        readFileMounts().some((m) => m.startsWith(v.Mountpoint)),
        false,
        "unmounted once no container runs with it",
      );
    }
    const host = join(tmp, "bind-volume");
    mkdirSync(host);
    writeFileSync(join(host, "keep"), "precious\n");
    await d.api.ok("POST", "/volumes/create", {
      Name: "v-bindvol",
      DriverOpts: { type: "none", o: "bind", device: host },
    });
    const b = await runOut(sh("cat /b/keep; echo new > /b/new", { Binds: ["v-bindvol:/b:nocopy"] }));
    assert.equal(b.out, "precious\n");
    assert.ok(existsSync(join(host, "new")));
    await d.api.ok("DELETE", `/containers/${b.id}`);
    await d.api.ok("DELETE", "/volumes/v-tmpfs");
    await d.api.ok("DELETE", "/volumes/v-bindvol");
    // Removing the volume never deletes the data of the device it mounted.
    assert.equal(execFileSync("cat", [join(host, "keep")]).toString(), "precious\n");
  });

  test("bind-propagation: rslave/rshared binds see host mounts made later; a private source is refused", async (t) => {
    const src = join(tmp, "prop-src");
    mkdirSync(join(src, "sub"), { recursive: true });
    // A mount of the test's own, so its propagation does not depend on how / is mounted here.
    execFileSync("mount", ["--bind", src, src]);
    t.after(() => {
      spawnSync("umount", ["-l", join(src, "sub")]);
      spawnSync("umount", ["-l", src]);
    });
    execFileSync("mount", ["--make-private", src]);
    for (const [mode, why] of [
      ["rshared", "not a shared mount"],
      ["shared", "not a shared mount"],
      ["rslave", "not a shared or slave mount"],
      ["slave", "not a shared or slave mount"],
    ] as const) {
      const { Id } = await d.api.ok<{ Id: string }>(
        "POST",
        "/containers/create",
        sh("true", { Binds: [`${src}:/p:${mode}`] }),
      );
      const start = await d.api.call("POST", `/containers/${Id}/start`);
      assert.equal(start.status, 500, start.text());
      assert.equal(
        start.json<{ message: string }>().message,
        `path ${src} is mounted on ${src} but it is ${why}`,
      );
      const state = await d.api.ok<{ State: { Running: boolean } }>("GET", `/containers/${Id}/json`);
      assert.equal(state.State.Running, false);
      await d.api.ok("DELETE", `/containers/${Id}`);
    }
    execFileSync("mount", ["--make-shared", src]);
    // Both start before the host mounts a tmpfs at sub/: the slave bind sees it appear, the
    // default (rprivate) bind keeps seeing the empty directory under it.
    const wait = "i=0; while [ ! -f /p/go ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done";
    const slave = await d.api.run(
      sh(`${wait}; cat /p/sub/marker; grep -c ' /p/sub ' /proc/mounts`, {
        Mounts: [{ Type: "bind", Source: src, Target: "/p", BindOptions: { Propagation: "rslave" } }],
      }),
    );
    const shared = await d.api.run(sh(`${wait}; cat /p/sub/marker`, { Binds: [`${src}:/p:rshared`] }));
    const priv = await d.api.run(sh(`${wait}; ls -A /p/sub; echo end`, { Binds: [`${src}:/p`] }));
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", join(src, "sub")]);
    writeFileSync(join(src, "sub", "marker"), "propagated\n");
    writeFileSync(join(src, "go"), "");
    const out = async (id: string) => {
      assert.equal(await d.api.waitExit(id), 0);
      return demux((await d.api.call("GET", `/containers/${id}/logs?stdout=1&stderr=1`)).body).stdout;
    };
    assert.equal(await out(slave), "propagated\n1\n");
    assert.equal(await out(shared), "propagated\n");
    assert.equal(await out(priv), "end\n");
    const info = await d.api.ok<{ Mounts: MountShape[] }>("GET", `/containers/${slave}/json`);
    assert.equal(info.Mounts[0]?.Propagation, "rslave");
    for (const id of [slave, shared, priv]) await d.api.ok("DELETE", `/containers/${id}`);

    // Binds of the data root default to rslave (so they never pin other containers' overlay
    // mounts), falling back to rprivate where the source cannot be a slave; only rslave or
    // rshared may be asked for.
    if (!d.owned) return;
    const rootBind = await runOut(sh("ls -d /root-view/volumes", { Binds: [`${d.dataRoot}:/root-view:ro`] }));
    assert.equal(rootBind.code, 0, rootBind.out);
    const rootInfo = await d.api.ok<{ Mounts: MountShape[] }>("GET", `/containers/${rootBind.id}/json`);
    assert.equal(rootInfo.Mounts[0]?.Propagation, "rslave");
    await d.api.ok("DELETE", `/containers/${rootBind.id}`);
    const refused = await d.api.call(
      "POST",
      "/containers/create",
      sh("true", { Binds: [`${join(d.dataRoot, "volumes")}:/x:rprivate`] }),
    );
    assert.equal(refused.status, 400);
    assert.equal(
      refused.json<{ message: string }>().message,
      `invalid mount config: must use either propagation mode "rslave" or "rshared" when mount source is within the daemon root, daemon root: "${d.dataRoot}", bind mount source: "${join(d.dataRoot, "volumes")}", propagation: "rprivate"`,
    );
  });

  test("removing a volume never follows links its containers left in it", async () => {
    const outside = join(tmp, "outside-target");
    mkdirSync(outside);
    writeFileSync(join(outside, "keep"), "host data\n");
    const w = await runOut(
      sh(
        `ln -s ${outside} /v/abs && ln -s ../../../../../../.. /v/up && mkdir /v/d && ln -s ${outside}/keep /v/d/f`,
        {
          Binds: ["v-links:/v"],
        },
      ),
    );
    assert.equal(w.code, 0, w.out);
    await d.api.ok("DELETE", `/containers/${w.id}`);
    await d.api.ok("DELETE", "/volumes/v-links");
    assert.equal(execFileSync("cat", [join(outside, "keep")]).toString(), "host data\n");
    // The same through prune (all=true at API 1.50, scoped to this volume by a label).
    await d.api.ok("POST", "/volumes/create", { Name: "v-links2", Labels: { "wharf-test-links": "1" } });
    const p = await runOut(sh(`ln -s ${outside} /v/abs`, { Binds: ["v-links2:/v"] }));
    await d.api.ok("DELETE", `/containers/${p.id}`);
    const q = encodeURIComponent(JSON.stringify({ all: ["true"], label: ["wharf-test-links=1"] }));
    await d.api.call("POST", `/v1.50/volumes/prune?filters=${q}`, undefined, { raw: true });
    assert.ok(!(await volumeNames()).includes("v-links2"));
    assert.equal(execFileSync("cat", [join(outside, "keep")]).toString(), "host data\n");
  });

  test("bad mounts at create: 400, nothing created", async () => {
    const vols = new Set(await volumeNames());
    const containers = (await d.api.ok<unknown[]>("GET", "/containers/json?all=1")).length;
    const cases: Array<[Record<string, unknown>, string]> = [
      [
        { Binds: ["/tmp:/"] },
        `invalid volume specification: '/tmp:/': invalid mount config for type "bind": invalid specification: destination can't be '/'`,
      ],
      [
        { Binds: ["/tmp:rel"] },
        `invalid volume specification: '/tmp:rel': invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`,
      ],
      [{ Binds: ["/tmp:/x:bogus"] }, "invalid mode: bogus"],
      [{ Binds: ["/foo:ro"] }, "invalid volume specification: '/foo:ro'"],
      [{ Binds: ["a:b:c:d"] }, "invalid volume specification: 'a:b:c:d'"],
      [
        { Binds: ["rel/dir:/y"] },
        `create rel/dir: "rel/dir" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
      ],
      [
        { Binds: ["../../etc:/y"] },
        `create ../../etc: "../../etc" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
      ],
      [{ Binds: ["v-dup1:/d", "v-dup2:/d"] }, "Duplicate mount point: /d"],
      [
        { Mounts: [{ Type: "bind", Source: "rel", Target: "/x" }] },
        `invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`,
      ],
      [
        { Mounts: [{ Type: "volume", Source: "v-new", Target: "/" }] },
        `invalid mount config for type "volume": invalid specification: destination can't be '/'`,
      ],
      [
        { Mounts: [{ Type: "volume", Target: "data" }] },
        `invalid mount config for type "volume": invalid mount path: 'data' mount path must be absolute`,
      ],
      [
        { Mounts: [{ Type: "tmpfs", Source: "x", Target: "/t" }] },
        `invalid mount config for type "tmpfs": field Source must not be specified`,
      ],
      [
        { Mounts: [{ Type: "bind", Source: "/tmp", Target: "/x", BindOptions: { Propagation: "weird" } }] },
        `invalid mount config for type "bind": invalid propagation mode: weird`,
      ],
      [
        { Mounts: [{ Type: "nfs", Target: "/x" }] },
        `invalid mount config for type "nfs": mount type unknown`,
      ],
      [
        {
          Mounts: [
            {
              Type: "volume",
              Source: "v-opt",
              Target: "/x",
              VolumeOptions: { DriverConfig: { Options: { bogus: "1" } } },
            },
          ],
        },
        `create v-opt: invalid option: "bogus"`,
      ],
      [
        { Binds: ["v-ok:/x"], Mounts: [{ Type: "volume", Source: "v-ok2", Target: "/x" }] },
        "Duplicate mount point: /x",
      ],
      [{ Binds: ["v-ok:/x"], Tmpfs: { "/x": "" } }, "Duplicate mount point: /x"],
      // HostConfig.Tmpfs errors carry no mount-config prefix in Docker.
      [{ Tmpfs: { "/": "" } }, "invalid specification: destination can't be '/'"],
      [{ Tmpfs: { rel: "" } }, "invalid mount path: 'rel' mount path must be absolute"],
      [
        { Mounts: [{ Type: "volume", Target: "/ro", ReadOnly: true }] },
        `invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes`,
      ],
      [{ VolumesFrom: ["x:rx"] }, "invalid mode: rx"],
      [{ VolumesFrom: "other" }, 'invalid JSON: field "HostConfig.VolumesFrom" must be an array of strings'],
      [{ Mounts: [null] }, 'invalid JSON: field "HostConfig.Mounts" must be an array of objects'],
      [{ Tmpfs: { "/t": 5 } }, 'invalid JSON: field "HostConfig.Tmpfs" must be a map of strings'],
    ];
    for (const [hc, message] of cases) {
      const res = await d.api.call("POST", "/containers/create", sh("true", hc));
      assert.equal(res.status, 400, `${JSON.stringify(hc)}: ${res.text()}`);
      assert.equal(res.json<{ message: string }>().message, message);
    }
    // A volume driver that is not installed: Docker's 404 from the volume create it attempts.
    const plugin = await d.api.call(
      "POST",
      "/containers/create",
      sh("true", {
        Mounts: [
          {
            Type: "volume",
            Source: "v-plug",
            Target: "/p",
            VolumeOptions: { DriverConfig: { Name: "nfsx" } },
          },
        ],
      }),
    );
    assert.equal(plugin.status, 404);
    assert.equal(
      plugin.json<{ message: string }>().message,
      'create v-plug: error looking up volume plugin nfsx: plugin "nfsx" not found',
    );
    // --volume-driver names the driver of the volumes Binds create.
    const vd = await d.api.call(
      "POST",
      "/containers/create",
      sh("true", { Binds: ["v-vd:/y"], VolumeDriver: "nfsx" }),
    );
    assert.equal(vd.status, 404);
    assert.equal(
      vd.json<{ message: string }>().message,
      'create v-vd: error looking up volume plugin nfsx: plugin "nfsx" not found',
    );
    const local = await d.api.ok<{ Id: string }>(
      "POST",
      "/containers/create",
      sh("true", { Binds: ["v-vd:/y"], VolumeDriver: "local" }),
    );
    await d.api.ok("DELETE", `/containers/${local.Id}`);
    await d.api.ok("DELETE", "/volumes/v-vd");
    // A tmpfs option Docker does not know fails the start with Docker's wording.
    const badTmpfs = await d.api.ok<{ Id: string }>(
      "POST",
      "/containers/create",
      sh("true", { Tmpfs: { "/t": "bogus" } }),
    );
    const start = await d.api.call("POST", `/containers/${badTmpfs.Id}/start`);
    assert.equal(start.status, 500);
    assert.equal(start.json<{ message: string }>().message, 'invalid tmpfs option ["bogus"]');
    await d.api.ok("DELETE", `/containers/${badTmpfs.Id}`);
    // A volume that fails to be created takes the anonymous ones of the same request with it.
    const res = await d.api.call(
      "POST",
      "/containers/create",
      sh("true", { Binds: ["bad/name:/b"] }, { Volumes: { "/anon": {} } }),
    );
    assert.equal(res.status, 400);
    assert.deepEqual(new Set(await volumeNames()), vols);
    assert.equal((await d.api.ok<unknown[]>("GET", "/containers/json?all=1")).length, containers);
  });

  test("volumes and their data survive a daemon crash; a directory no record owns is dropped", async (t) => {
    if (!d.owned) return t.skip("needs a wharfd started by the test");
    const w = await runOut(sh("echo durable > /d/f", { Binds: ["v-crash:/d"] }));
    await d.api.ok("DELETE", `/containers/${w.id}`);
    const orphan = join(d.dataRoot, "volumes", "v-orphan");
    mkdirSync(join(orphan, "_data"), { recursive: true });
    writeFileSync(join(orphan, "_data", "stale"), "old");
    await d.crash();
    await d.restart();
    assert.equal(existsSync(orphan), false);
    const r = await runOut(sh("cat /d/f", { Binds: ["v-crash:/d"] }));
    assert.equal(r.out, "durable\n");
    await d.api.ok("DELETE", `/containers/${r.id}`);
    await d.api.ok("DELETE", "/volumes/v-crash");
  });
});

function readFileMounts(): string[] {
  return execFileSync("cat", ["/proc/self/mounts"])
    .toString()
    .split("\n")
    .map((l) => l.split(" ")[1] ?? "");
}
