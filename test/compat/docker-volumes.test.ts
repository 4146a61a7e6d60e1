// The real docker CLI driving volumes and mounts. Set WHARF_TEST_SOCKET to a reference dockerd's
// socket to run the same checks against Docker.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
  const vol = (n: string) => `cv-${n}-${suffix}`;
  const docker = (...args: string[]) => {
    const r = spawnSync("docker", ["-H", `unix://${d.socket}`, ...args], {
      encoding: "utf8",
      timeout: 60_000,
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
    for (const n of ["w", "r"]) docker("rm", "-f", `cv-ctr-${n}-${suffix}`);
    for (const n of ["a", "b", "data", "etc", "keep", "sub"]) docker("volume", "rm", "-f", vol(n));
    docker("rmi", "-f", image);
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
    assert.equal(docker("volume", "create", vol("keep")).code, 0);
    const anon = docker("run", "-v", "/anon", "--name", `cv-ctr-r-${suffix}`, image, "true");
    assert.equal(anon.code, 0, anon.err);
    const anonName = docker(
      "inspect",
      "-f",
      "{{range .Mounts}}{{.Name}}{{end}}",
      `cv-ctr-r-${suffix}`,
    ).out.trim();
    assert.match(anonName, /^[0-9a-f]{64}$/);
    assert.ok(!docker("volume", "prune", "-f").out.includes(anonName), "in use: kept");
    assert.equal(docker("rm", `cv-ctr-r-${suffix}`).code, 0);
    const pruned = docker("volume", "prune", "-f");
    assert.equal(pruned.code, 0, pruned.err);
    assert.match(pruned.out, new RegExp(`^Deleted Volumes:\\n(.*\\n)*${anonName}\\n`));
    assert.match(pruned.out, /Total reclaimed space: /);
    const [major = 0, minor = 0] = apiVersion().split(".").map(Number);
    if (major > 1 || minor >= 42) {
      assert.ok(!pruned.out.includes(vol("keep")), "named volumes survive a plain prune");
      const all = docker("volume", "prune", "-a", "-f", "--filter", `label!=nothing-${suffix}`);
      assert.equal(all.code, 0, all.err);
      assert.ok(all.out.includes(`${vol("keep")}\n`), all.out);
    }
  });
});
