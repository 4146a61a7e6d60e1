// The real docker CLI driving volumes and mounts. Set WHARF_TEST_SOCKET to a reference dockerd's
// socket to run the same checks against Docker.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isRoot, startDaemon, type TestDaemon } from "../helpers/daemon.ts";
import { busyboxTar } from "../helpers/images.ts";

const hasDocker = spawnSync("docker", ["--version"]).status === 0;
const suffix = `${process.pid}`;

describe("docker CLI: volumes and mounts", {
  skip: (!isRoot() && "needs root") || (!hasDocker && "docker CLI missing"),
}, () => {
  let d: TestDaemon;
  let tmp: string;
  const image = `compat-vol-bb-${suffix}:latest`;
  const dataImage = `compat-vol-data-${suffix}:latest`;
  const vol = (n: string) => `cv-${n}-${suffix}`;
  const docker = (...args: string[]) => {
    const r = spawnSync("docker", ["-H", `unix://${d.socket}`, ...args], {
      encoding: "utf8",
      timeout: 60_000,
      killSignal: "SIGKILL",
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const apiVersion = () => docker("version", "--format", "{{.Server.APIVersion}}").out.trim();

  before(async () => {
    d = await startDaemon();
    tmp = mkdtempSync("/tmp/wharf-compat-vol-");
    const imported = docker("import", "-c", 'CMD ["sh"]', await busyboxTar(), image);
    assert.equal(imported.code, 0, imported.err);
  });
  after(async () => {
    for (const n of ["w", "r", "src", "ro-src", "mk", "tmp"])
      docker("rm", "-f", "-v", `cv-ctr-${n}-${suffix}`);
    for (const n of [
      "a",
      "b",
      "data",
      "etc",
      "keep",
      "sub",
      "from",
      "copy",
      "nocopy",
      "nocopy2",
      "bindvol",
      "df",
    ])
      docker("volume", "rm", "-f", vol(n));
    docker("rmi", "-f", image, dataImage);
    await d?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test("docker volume create / ls / inspect / rm", () => {
    assert.deepEqual(docker("volume", "create", "--label", `t=${suffix}`, vol("a")), {
      code: 0,
      out: `${vol("a")}\n`,
      err: "",
    });
    const b = docker(
      "volume",
      "create",
      "-o",
      "type=tmpfs",
      "-o",
      "device=tmpfs",
      "-o",
      "o=size=1m",
      vol("b"),
    );
    assert.equal(b.code, 0, b.err);
    const ls = docker("volume", "ls", "--filter", `name=cv-`, "--filter", `name=${suffix}`);
    assert.equal(ls.out.split("\n")[0], "DRIVER    VOLUME NAME");
    assert.ok(ls.out.includes(`local     ${vol("a")}\n`), ls.out);
    assert.equal(docker("volume", "ls", "-q", "--filter", `label=t=${suffix}`).out, `${vol("a")}\n`);
    const inspect = docker("volume", "inspect", vol("b"));
    assert.equal(inspect.code, 0, inspect.err);
    const [v] = JSON.parse(inspect.out) as Array<Record<string, unknown>>;
    assert.deepEqual(Object.keys(v ?? {}).sort(), [
      "CreatedAt",
      "Driver",
      "Labels",
      "Mountpoint",
      "Name",
      "Options",
      "Scope",
    ]);
    assert.deepEqual(v?.Options, { device: "tmpfs", o: "size=1m", type: "tmpfs" });
    assert.equal(v?.Labels, null);
    assert.equal(
      docker("volume", "inspect", "-f", "{{.Driver}} {{.Scope}} {{.Labels}}", vol("a")).out,
      `local local map[t:${suffix}]\n`,
    );
    const bad = docker("volume", "create", "a/b");
    assert.equal(bad.code, 1);
    assert.match(
      bad.err,
      /Error response from daemon: create a\/b: "a\/b" includes invalid characters for a local volume name/,
    );
    const missing = docker("volume", "inspect", `nope-${suffix}`);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no such volume/);
    assert.deepEqual(docker("volume", "rm", vol("a"), vol("b")), {
      code: 0,
      out: `${vol("a")}\n${vol("b")}\n`,
      err: "",
    });
  });

  test("docker run -v / --mount: named volume, bind :ro, tmpfs; in-use rm refused; rm -v", () => {
    writeFileSync(join(tmp, "marker"), "from-host\n");
    const w = docker(
      "run",
      "--name",
      `cv-ctr-w-${suffix}`,
      "-v",
      `${vol("data")}:/data`,
      "-v",
      `${tmp}:/host:ro`,
      "--mount",
      "type=tmpfs,target=/scratch,tmpfs-size=1048576",
      "--mount",
      `type=volume,source=${vol("etc")},target=/etc`,
      image,
      "sh",
      "-c",
      "echo kept > /data/f; cat /host/marker; (touch /host/x) 2>/dev/null || echo ro; grep -c ' /scratch tmpfs' /proc/mounts; ls /etc | grep -c passwd",
    );
    assert.equal(w.code, 0, w.err);
    assert.equal(w.out, "from-host\nro\n1\n1\n");
    const mounts = docker(
      "inspect",
      "-f",
      "{{range .Mounts}}{{.Type}}|{{.Destination}}|{{.RW}}|{{.Mode}}|{{.Propagation}}\n{{end}}",
      `cv-ctr-w-${suffix}`,
    );
    assert.deepEqual(mounts.out.trim().split("\n").sort(), [
      "bind|/host|false|ro|rprivate",
      "tmpfs|/scratch|true||",
      "volume|/data|true|z|",
      "volume|/etc|true|z|",
    ]);
    const inUse = docker("volume", "rm", vol("data"));
    assert.equal(inUse.code, 1);
    assert.match(inUse.err, new RegExp(`remove ${vol("data")}: volume is in use - \\[[0-9a-f]{64}\\]`));
    assert.equal(docker("rm", "-v", `cv-ctr-w-${suffix}`).code, 0);
    const r = docker(
      "run",
      "--rm",
      "--mount",
      `type=volume,src=${vol("data")},dst=/d,readonly`,
      image,
      "sh",
      "-c",
      "cat /d/f; (echo y > /d/f) 2>/dev/null || echo refused",
    );
    assert.equal(r.out, "kept\nrefused\n");
    const badBind = docker(
      "run",
      "--rm",
      "--mount",
      `type=bind,src=${join(tmp, "absent")},dst=/x`,
      image,
      "true",
    );
    assert.equal(badBind.code, 125);
    assert.match(badBind.err, /bind source path does not exist/);
    const overRoot = docker("run", "--rm", "-v", `${tmp}:/`, image, "true");
    assert.equal(overRoot.code, 125);
    assert.match(overRoot.err, /destination can't be '\/'/);
  });

  test("docker run --mount volume-subpath mounts part of a volume (API 1.45+)", (t) => {
    const [major = 0, minor = 0] = apiVersion().split(".").map(Number);
    if (major === 1 && minor < 45) return t.skip(`the daemon speaks API ${apiVersion()}: no subpaths`);
    const seed = docker(
      "run",
      "--rm",
      "-v",
      `${vol("sub")}:/v`,
      image,
      "sh",
      "-c",
      "mkdir /v/part && echo inner > /v/part/f",
    );
    assert.equal(seed.code, 0, seed.err);
    const r = docker(
      "run",
      "--rm",
      "--mount",
      `type=volume,src=${vol("sub")},dst=/p,volume-subpath=part`,
      image,
      "sh",
      "-c",
      "ls /p; cat /p/f",
    );
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, "f\ninner\n");
    const missing = docker(
      "run",
      "--rm",
      "--mount",
      `type=volume,src=${vol("sub")},dst=/p,volume-subpath=nope`,
      image,
      "true",
    );
    // The docker CLI turns a start error that says "no such file or directory" into 127.
    assert.equal(missing.code, 127);
    assert.match(missing.err, /cannot access path .*nope: no such file or directory/);
    const outside = docker(
      "run",
      "--rm",
      "--mount",
      `type=volume,src=${vol("sub")},dst=/p,volume-subpath=../x`,
      image,
      "true",
    );
    assert.equal(outside.code, 125);
    assert.match(outside.err, /subpath must be a relative path within the volume/);
  });

  test("docker volume prune removes unused anonymous volumes; -a also named ones (API 1.42+)", () => {
    // Every prune here is scoped by this run's label: against a shared reference dockerd an
    // unscoped prune would take other users' volumes.
    const label = `cv-prune=${suffix}`;
    assert.equal(docker("volume", "create", "--label", label, vol("keep")).code, 0);
    const anon = docker(
      "run",
      "--mount",
      `type=volume,dst=/anon,volume-label=${label}`,
      "--name",
      `cv-ctr-r-${suffix}`,
      image,
      "true",
    );
    assert.equal(anon.code, 0, anon.err);
    const anonName = docker(
      "inspect",
      "-f",
      "{{range .Mounts}}{{.Name}}{{end}}",
      `cv-ctr-r-${suffix}`,
    ).out.trim();
    assert.match(anonName, /^[0-9a-f]{64}$/);
    assert.ok(
      !docker("volume", "prune", "-f", "--filter", `label=${label}`).out.includes(anonName),
      "in use: kept",
    );
    assert.equal(docker("rm", `cv-ctr-r-${suffix}`).code, 0);
    const pruned = docker("volume", "prune", "-f", "--filter", `label=${label}`);
    assert.equal(pruned.code, 0, pruned.err);
    assert.match(pruned.out, new RegExp(`^Deleted Volumes:\\n(.*\\n)*${anonName}\\n`));
    assert.match(pruned.out, /Total reclaimed space: /);
    const [major = 0, minor = 0] = apiVersion().split(".").map(Number);
    if (major > 1 || minor >= 42) {
      assert.ok(!pruned.out.includes(vol("keep")), "named volumes survive a plain prune");
      const all = docker("volume", "prune", "-a", "-f", "--filter", `label=${label}`);
      assert.equal(all.code, 0, all.err);
      assert.ok(all.out.includes(`${vol("keep")}\n`), all.out);
    }
  });
  test("docker run --volumes-from shares mounts; :ro makes them read-only, :rw never makes them writable", () => {
    const ctr = (n: string) => `cv-ctr-${n}-${suffix}`;
    const src = docker(
      "run",
      "--name",
      ctr("src"),
      "-v",
      `${vol("from")}:/vf`,
      "-v",
      "/anon",
      image,
      "sh",
      "-c",
      "echo shared > /vf/x; echo a > /anon/y",
    );
    assert.equal(src.code, 0, src.err);
    const rw = docker(
      "run",
      "--rm",
      "--volumes-from",
      ctr("src"),
      image,
      "sh",
      "-c",
      "cat /vf/x /anon/y; echo more >> /vf/x",
    );
    assert.deepEqual([rw.code, rw.out], [0, "shared\na\n"]);
    const ro = docker(
      "run",
      "--rm",
      "--volumes-from",
      `${ctr("src")}:ro`,
      image,
      "sh",
      "-c",
      "cat /vf/x; (echo no >> /vf/x) 2>/dev/null || echo refused",
    );
    assert.deepEqual([ro.code, ro.out], [0, "shared\nmore\nrefused\n"]);
    assert.equal(docker("create", "--name", ctr("ro-src"), "-v", `${vol("from")}:/vf:ro`, image).code, 0);
    const escalate = docker(
      "run",
      "--rm",
      "--volumes-from",
      `${ctr("ro-src")}:rw`,
      image,
      "sh",
      "-c",
      "(echo no >> /vf/x) 2>/dev/null || echo refused",
    );
    assert.deepEqual([escalate.code, escalate.out], [0, "refused\n"]);
    const mounts = docker("create", "--volumes-from", `${ctr("src")}:ro,z`, image);
    assert.equal(mounts.code, 0, mounts.err);
    const id = mounts.out.trim();
    const shape = docker("inspect", "-f", "{{range .Mounts}}{{.Destination}}|{{.RW}}|{{.Mode}}\n{{end}}", id);
    assert.deepEqual(shape.out.trim().split("\n").sort(), ["/anon|false|", "/vf|false|"]);
    assert.equal(docker("rm", id).code, 0);
    // A missing container is a plain error (exit 1), not a 404 the CLI would answer with a pull.
    const missing = docker("create", "--volumes-from", `nope-${suffix}`, image);
    assert.equal(missing.code, 1);
    assert.equal(missing.err, `Error response from daemon: No such container: nope-${suffix}\n`);
    const badMode = docker("create", "--volumes-from", `${ctr("src")}:rshared`, image);
    assert.equal(badMode.code, 1);
    assert.equal(badMode.err, "Error response from daemon: invalid mode: rshared\n");
    // rm -v takes the anonymous volume, never the named one.
    const anonName = docker(
      "inspect",
      "-f",
      '{{range .Mounts}}{{if eq .Destination "/anon"}}{{.Name}}{{end}}{{end}}',
      ctr("src"),
    ).out.trim();
    assert.match(anonName, /^[0-9a-f]{64}$/);
    assert.equal(docker("rm", ctr("ro-src")).code, 0);
    assert.equal(docker("rm", "-v", ctr("src")).code, 0);
    assert.equal(docker("volume", "inspect", anonName).code, 1);
    assert.equal(docker("volume", "inspect", vol("from")).code, 0);
  });

  test("docker run --tmpfs / --mount type=tmpfs: empty at each start, size-limited", () => {
    const name = `cv-ctr-tmp-${suffix}`;
    const r = docker(
      "run",
      "--name",
      name,
      "--tmpfs",
      "/t:size=1m",
      "--mount",
      "type=tmpfs,dst=/u,tmpfs-size=1048576,tmpfs-mode=1770",
      image,
      "sh",
      "-c",
      "ls -A /t /u; echo x > /t/f; echo y > /u/f; dd if=/dev/zero of=/t/big bs=1024 count=2048 2>/dev/null || echo full; grep ' /u ' /proc/mounts | grep -o 'mode=[0-7]*'",
    );
    assert.equal(r.code, 0, r.err);
    const again = docker("start", "-a", name);
    assert.equal(again.code, 0, again.err);
    for (const out of [r.out, again.out]) assert.equal(out, "/t:\n\n/u:\nfull\nmode=1770\n");
    const bad = docker("run", "--rm", "--tmpfs", "/", image, "true");
    assert.equal(bad.code, 125);
    assert.match(bad.err, /Error response from daemon: invalid specification: destination can't be '\/'/);
  });

  test("image VOLUME: copy-up keeps owners and modes, nocopy leaves the volume empty, --rm drops it", () => {
    const mk = docker(
      "run",
      "--name",
      `cv-ctr-mk-${suffix}`,
      image,
      "sh",
      "-c",
      "mkdir -p /data/sub && echo img > /data/f && chown 1234:99 /data/f && chmod 640 /data/f && chown 42:43 /data/sub && chmod 750 /data/sub && chmod 711 /data",
    );
    assert.equal(mk.code, 0, mk.err);
    assert.equal(docker("commit", "-c", "VOLUME /data", `cv-ctr-mk-${suffix}`, dataImage).code, 0);
    const stat = "stat -c '%u:%g %a %n' /data /data/f /data/sub";
    const name = `cv-ctr-tmp-${suffix}-rm`;
    const anon = docker(
      "run",
      "-d",
      "--rm",
      "--name",
      name,
      dataImage,
      "sh",
      "-c",
      `${stat}; while [ ! -f /data/go ]; do sleep 0.05; done`,
    );
    assert.equal(anon.code, 0, anon.err);
    const [anonName = "", source = ""] = docker(
      "inspect",
      "-f",
      "{{range .Mounts}}{{.Name}} {{.Source}}{{end}}",
      name,
    )
      .out.trim()
      .split(" ");
    assert.match(anonName, /^[0-9a-f]{64}$/);
    const logs = () => docker("logs", name).out;
    for (let i = 0; i < 200 && !logs().includes("/data/sub"); i++) spawnSync("sleep", ["0.05"]);
    assert.equal(logs(), "0:0 711 /data\n1234:99 640 /data/f\n42:43 750 /data/sub\n");
    writeFileSync(join(source, "go"), "");
    docker("wait", name);
    for (let i = 0; i < 100 && docker("inspect", name).code === 0; i++) spawnSync("sleep", ["0.05"]);
    assert.equal(docker("volume", "inspect", anonName).code, 1, "--rm dropped the anonymous volume");
    const named = docker("run", "--rm", "-v", `${vol("copy")}:/data`, dataImage, "sh", "-c", stat);
    assert.equal(named.out, "0:0 711 /data\n1234:99 640 /data/f\n42:43 750 /data/sub\n");
    const kept = docker("run", "--rm", "-v", `${vol("copy")}:/data`, dataImage, "cat", "/data/f");
    assert.equal(kept.out, "img\n", "named volumes outlive --rm");
    for (const [flag, value] of [
      ["-v", `${vol("nocopy")}:/data:nocopy`],
      ["--mount", `type=volume,src=${vol("nocopy2")},dst=/data,volume-nocopy`],
    ] as const) {
      const r = docker("run", "--rm", flag, value, dataImage, "ls", "-A", "/data");
      assert.deepEqual([r.code, r.out], [0, ""], value);
    }
  });

  test("docker volume create -o type=none,o=bind,device=…; docker system df -v counts size and links", () => {
    const host = join(tmp, "bind-volume");
    mkdirSync(host);
    writeFileSync(join(host, "keep"), "precious\n");
    const c = docker(
      "volume",
      "create",
      "-o",
      "type=none",
      "-o",
      "o=bind",
      "-o",
      `device=${host}`,
      vol("bindvol"),
    );
    assert.equal(c.code, 0, c.err);
    const r = docker(
      "run",
      "--rm",
      "-v",
      `${vol("bindvol")}:/b`,
      image,
      "sh",
      "-c",
      "cat /b/keep; echo new > /b/new",
    );
    assert.deepEqual([r.code, r.out], [0, "precious\n"]);
    assert.equal(readFileSync(join(host, "new"), "utf8"), "new\n");
    assert.equal(docker("volume", "rm", vol("bindvol")).code, 0);
    assert.equal(
      readFileSync(join(host, "keep"), "utf8"),
      "precious\n",
      "the device's data outlives the volume",
    );

    const w = docker("create", "--name", `cv-ctr-w-${suffix}`, "-v", `${vol("df")}:/d`, image);
    assert.equal(w.code, 0, w.err);
    const fill = docker(
      "run",
      "--rm",
      "-v",
      `${vol("df")}:/d`,
      image,
      "sh",
      "-c",
      "printf 0123456789 > /d/f",
    );
    assert.equal(fill.code, 0, fill.err);
    const df = docker("system", "df", "-v", "--format", "{{json .Volumes}}");
    assert.equal(df.code, 0, df.err);
    const row = (JSON.parse(df.out) as Array<Record<string, string>>).find((v) => v.Name === vol("df"));
    assert.deepEqual([row?.Links, row?.Size, row?.Driver], ["1", "10B", "local"]);
    assert.equal(docker("rm", `cv-ctr-w-${suffix}`).code, 0);
  });

  test("docker run -v …:rshared / rslave needs a propagating source; rslave sees host mounts made later", (t) => {
    const src = join(tmp, "prop");
    mkdirSync(join(src, "sub"), { recursive: true });
    execFileSync("mount", ["--bind", src, src]);
    t.after(() => {
      spawnSync("umount", ["-l", join(src, "sub")]);
      spawnSync("umount", ["-l", src]);
    });
    execFileSync("mount", ["--make-private", src]);
    const refused = docker("run", "--rm", "-v", `${src}:/p:rshared`, image, "true");
    assert.equal(refused.code, 125);
    assert.match(refused.err, new RegExp(`path ${src} is mounted on ${src} but it is not a shared mount`));
    const refusedSlave = docker(
      "run",
      "--rm",
      "--mount",
      `type=bind,src=${src},dst=/p,bind-propagation=rslave`,
      image,
      "true",
    );
    assert.equal(refusedSlave.code, 125);
    assert.match(refusedSlave.err, /but it is not a shared or slave mount/);
    execFileSync("mount", ["--make-shared", src]);
    const name = `cv-ctr-r-${suffix}`;
    const started = docker(
      "run",
      "-d",
      "--name",
      name,
      "-v",
      `${src}:/p:rslave`,
      image,
      "sh",
      "-c",
      "i=0; while [ ! -f /p/go ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; cat /p/sub/marker",
    );
    assert.equal(started.code, 0, started.err);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", join(src, "sub")]);
    writeFileSync(join(src, "sub", "marker"), "propagated\n");
    writeFileSync(join(src, "go"), "");
    assert.equal(docker("wait", name).out, "0\n");
    assert.equal(docker("logs", name).out, "propagated\n");
    assert.equal(docker("inspect", "-f", "{{range .Mounts}}{{.Propagation}}{{end}}", name).out, "rslave\n");
    assert.equal(docker("rm", name).code, 0);
  });

  test("docker run -v …:ro is recursively read-only (API 1.44+); bind-recursive=writable keeps submounts writable", (t) => {
    const runtime = docker("info", "--format", "{{.DefaultRuntime}}").out.trim();
    const features = spawnSync(runtime, ["features"], { encoding: "utf8" });
    if (features.status !== 0 || !features.stdout.includes('"rro"'))
      return t.skip(`${runtime} cannot make mounts recursively read-only here`);
    const src = join(tmp, "rro");
    mkdirSync(join(src, "sub"), { recursive: true });
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", join(src, "sub")]);
    t.after(() => spawnSync("umount", ["-l", join(src, "sub")]));
    const script = "touch /b/top 2>/dev/null && echo top; touch /b/sub/x 2>/dev/null && echo sub; echo done";
    const [major = 0, minor = 0] = apiVersion().split(".").map(Number);
    const recursive = major > 1 || minor >= 44;
    const ro = docker("run", "--rm", "-v", `${src}:/b:ro`, image, "sh", "-c", script);
    assert.equal(ro.code, 0, ro.err);
    // Before API 1.44 Docker made only the top of a read-only bind read-only.
    assert.equal(ro.out, recursive ? "done\n" : "sub\ndone\n");
    if (!recursive) return;
    const writable = docker(
      "run",
      "--rm",
      "--mount",
      `type=bind,src=${src},dst=/b,readonly,bind-recursive=writable`,
      image,
      "sh",
      "-c",
      script,
    );
    assert.deepEqual([writable.code, writable.out], [0, "sub\ndone\n"]);
    const forced = docker(
      "run",
      "--rm",
      "--mount",
      `type=bind,src=${src},dst=/b,readonly,bind-recursive=readonly,bind-propagation=rprivate`,
      image,
      "sh",
      "-c",
      script,
    );
    assert.deepEqual([forced.code, forced.out], [0, "done\n"]);
  });

  test("bad mounts through the docker CLI: exit 125 with Docker's message, nothing created", () => {
    // The whole list only when the daemon is this test's own (a shared one changes meanwhile).
    const list = () => (d.owned ? docker("volume", "ls", "-q").out : "");
    const before = list();
    for (const [args, message] of [
      [["-v", "rel/dir:/x"], `create rel/dir: "rel/dir" includes invalid characters for a local volume name`],
      [["-v", `${tmp}:rel`], "invalid mount path: 'rel' mount path must be absolute"],
      [["--mount", "type=bind,src=rel,dst=/x"], "invalid mount path: 'rel' mount path must be absolute"],
      [["--mount", "type=volume,src=a/../b,dst=/x"], `create a/../b: "a/../b" includes invalid characters`],
      [["--mount", "type=volume,dst=/x,readonly"], "must not set ReadOnly mode when using anonymous volumes"],
      [["-v", `${vol("bad")}:/x:bogus`], "invalid mode: bogus"],
    ] as const) {
      const r = docker("run", "--rm", ...args, image, "true");
      assert.equal(r.code, 125, `${args.join(" ")}: ${r.err}`);
      assert.ok(r.err.startsWith("docker: Error response from daemon: "), r.err);
      assert.ok(r.err.includes(message), `${args.join(" ")}: ${r.err}`);
    }
    assert.equal(list(), before);
    assert.equal(docker("volume", "inspect", vol("bad")).code, 1);
  });
});
