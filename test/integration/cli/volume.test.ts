// bin/wharf volume commands and run's mount flags against a real wharfd, with docker's output.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type CliResult, type Daemon, startDaemon, wharf } from "./harness.ts";

const skip = process.getuid?.() !== 0 && "needs root (wharfd runs containers)";

describe("wharf volume", { skip, concurrency: false }, () => {
  let daemon: Daemon;
  let tmp: string;
  const cli = (...args: string[]): Promise<CliResult> => wharf(daemon.host, args);

  before(async () => {
    daemon = await startDaemon();
    tmp = mkdtempSync("/tmp/wharf-cli-vol-");
    assert.equal((await cli("image", "bootstrap", "busybox")).code, 0);
  });

  after(async () => {
    await daemon?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test("create, ls, inspect, rm", async () => {
    assert.deepEqual(
      await cli(
        "volume",
        "create",
        "--label",
        "a=b",
        "-o",
        "type=tmpfs",
        "-o",
        "device=tmpfs",
        "-o",
        "o=size=1m",
        "cv1",
      ),
      {
        code: 0,
        stdout: "cv1\n",
        stderr: "",
      },
    );
    assert.equal((await cli("volume", "create", "--name", "cv2")).stdout, "cv2\n");
    const anon = (await cli("volume", "create")).stdout.trim();
    assert.match(anon, /^[0-9a-f]{64}$/);
    const ls = await cli("volume", "ls");
    // Sorted by name, as docker's CLI does: where the random anonymous name falls varies.
    const rows = [anon, "cv1", "cv2"].sort().map((n) => `local     ${n}\n`);
    assert.equal(ls.stdout, `DRIVER    VOLUME NAME\n${rows.join("")}`);
    assert.equal((await cli("volume", "ls", "-q", "--filter", "label=a=b")).stdout, "cv1\n");
    assert.equal(
      (await cli("volume", "ls", "--format", "{{.Name}} {{.Labels}} {{.Scope}}", "-f", "name=cv1")).stdout,
      "cv1 a=b local\n",
    );
    const inspect = await cli("volume", "inspect", "cv1");
    const [v] = JSON.parse(inspect.stdout) as Array<{
      Name: string;
      Options: Record<string, string>;
      Labels: Record<string, string>;
    }>;
    assert.deepEqual(
      [v?.Name, v?.Options, v?.Labels],
      ["cv1", { device: "tmpfs", o: "size=1m", type: "tmpfs" }, { a: "b" }],
    );
    assert.equal((await cli("volume", "inspect", "-f", "{{.Driver}}", "cv2")).stdout, "local\n");
    const missing = await cli("volume", "inspect", "nope");
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, "Error response from daemon: get nope: no such volume\n");
    assert.equal(
      (await cli("inspect", "--format", "{{.Mountpoint}}", "cv2")).stdout
        .trim()
        .endsWith("/volumes/cv2/_data"),
      true,
    );
    const bad = await cli("volume", "create", "a/b");
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^Error response from daemon: create a\/b: "a\/b" includes invalid characters/);
    assert.deepEqual(await cli("volume", "rm", "cv1", "cv2", anon), {
      code: 0,
      stdout: `cv1\ncv2\n${anon}\n`,
      stderr: "",
    });
    assert.equal((await cli("volume", "rm", "-f", "cv1")).code, 0);
    assert.equal((await cli("volume", "rm", "cv1")).code, 1);
  });

  test("run -v / --mount / --tmpfs / --volumes-from, rm -v, --rm, prune", async () => {
    writeFileSync(join(tmp, "marker"), "host\n");
    const w = await cli(
      "run",
      "--name",
      "vw",
      "-v",
      "data1:/d",
      "-v",
      `${tmp}:/h:ro`,
      "-v",
      "/anon",
      "busybox",
      "sh",
      "-c",
      "cat /h/marker; echo x > /d/f; touch /h/no 2>/dev/null || echo ro",
    );
    assert.deepEqual([w.code, w.stdout], [0, "host\nro\n"]);
    const r = await cli(
      "run",
      "--rm",
      "--volumes-from",
      "vw:ro",
      "--mount",
      "type=tmpfs,target=/t,tmpfs-size=1m",
      "--tmpfs",
      "/t2:size=512k",
      "busybox",
      "sh",
      "-c",
      "cat /d/f; (echo y > /d/g) 2>/dev/null || echo ro-from; grep -c ' /t2* tmpfs' /proc/mounts",
    );
    assert.deepEqual([r.code, r.stdout], [0, "x\nro-from\n2\n"]);
    const mounts = await cli(
      "inspect",
      "-f",
      "{{range .Mounts}}{{.Type}}:{{.Destination}}:{{.RW}} {{end}}",
      "vw",
    );
    assert.deepEqual(mounts.stdout.trim().split(" ").sort(), [
      "bind:/h:false",
      "volume:/anon:true",
      "volume:/d:true",
    ]);
    const anon = (
      await cli(
        "inspect",
        "-f",
        '{{range .Mounts}}{{if eq .Destination "/anon"}}{{.Name}}{{end}}{{end}}',
        "vw",
      )
    ).stdout.trim();
    assert.match(anon, /^[0-9a-f]{64}$/);
    const df = await cli("system", "df", "--format", "{{.Type}}: {{.TotalCount}} {{.Active}} {{.Size}}");
    assert.ok(df.stdout.includes("Local Volumes: 2 2 2B\n"), df.stdout + df.stderr);
    const inUse = await cli("volume", "rm", "data1");
    assert.equal(inUse.code, 1);
    assert.match(
      inUse.stderr,
      /^Error response from daemon: remove data1: volume is in use - \[[0-9a-f]{64}\]\n$/,
    );
    assert.equal((await cli("rm", "-v", "vw")).code, 0);
    assert.equal((await cli("volume", "ls", "-q")).stdout, "data1\n");
    const badMount = await cli(
      "run",
      "--rm",
      "--mount",
      `type=bind,source=${join(tmp, "absent")},target=/x`,
      "busybox",
      "true",
    );
    assert.equal(badMount.code, 125);
    assert.match(badMount.stderr, /bind source path does not exist/);
    assert.equal((await cli("volume", "create")).code, 0);
    const prune = await cli("volume", "prune", "-f");
    assert.match(prune.stdout, /^Deleted Volumes:\n[0-9a-f]{64}\n\nTotal reclaimed space: 0B\n$/);
    assert.equal((await cli("volume", "ls", "-q")).stdout, "data1\n");
    const all = await cli("volume", "prune", "-a", "-f");
    assert.equal(all.stdout, "Deleted Volumes:\ndata1\n\nTotal reclaimed space: 2B\n");
  });
});
