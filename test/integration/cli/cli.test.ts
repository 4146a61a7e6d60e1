// bin/wharf against a real wharfd: the commands people type, with docker's output and codes.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { type CliResult, type Daemon, eventually, startDaemon, wharf } from "./harness.ts";

function skipReason(): string | false {
  if (process.getuid?.() !== 0) return "needs root (wharfd runs containers)";
  for (const tool of ["runc", "conmon"]) {
    try {
      execFileSync(tool, ["--version"], { stdio: "ignore" });
    } catch {
      return `${tool} is not installed`;
    }
  }
  try {
    execFileSync("/bin/busybox", ["true"], { stdio: "ignore" });
  } catch {
    return "needs /bin/busybox (apt-get install busybox-static)";
  }
  return false;
}

const skip = skipReason();
const hex64 = /^[0-9a-f]{64}$/;

describe("wharf CLI against wharfd", { skip, concurrency: false }, () => {
  let daemon: Daemon;
  const cli = (...args: string[]): Promise<CliResult> => wharf(daemon.host, args);

  before(async () => {
    daemon = await startDaemon();
  });

  after(async () => {
    await daemon?.stop();
  });

  test("image bootstrap busybox prints the image ID", async () => {
    const r = await cli("image", "bootstrap", "busybox");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
  });

  test("images: docker's table", async () => {
    const r = await cli("images");
    assert.equal(r.code, 0, r.stderr);
    const [header, ...rows] = r.stdout.trimEnd().split("\n");
    assert.match(header ?? "", /^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$/);
    assert.ok(
      rows.some((row) => /^busybox +latest +[0-9a-f]{12} +.+ ago +[\d.]+[kM]B$/.test(row)),
      r.stdout,
    );
    const q = await cli("images", "-q");
    assert.match(q.stdout, /^[0-9a-f]{12}\n$/);
  });

  test("run --rm: output on stdout and stderr, the container's exit code, nothing left", async () => {
    const r = await cli(
      "run",
      "--rm",
      "--name",
      "rmme",
      "busybox",
      "sh",
      "-c",
      "echo hello; echo oops >&2; exit 3",
    );
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, "hello\n");
    assert.equal(r.stderr, "oops\n");
    const ps = await cli("ps", "-a", "--filter", "name=rmme", "-q");
    assert.equal(ps.stdout, "");
  });

  test("run: a container's own flags stay its own", async () => {
    const r = await cli("run", "--name", "argv", "busybox", "echo", "-n", "--rm", "x");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "--rm x");
    assert.equal((await cli("rm", "argv")).stdout, "argv\n");
  });

  test("run -d, ps, logs, inspect -f, stop, rm", async () => {
    const run = await cli(
      "run",
      "-d",
      "--name",
      "web",
      "-l",
      "app=web",
      "busybox",
      "sh",
      "-c",
      "echo started; sleep 60",
    );
    assert.equal(run.code, 0, run.stderr);
    const id = run.stdout.trim();
    assert.match(id, hex64);

    const ps = await cli("ps");
    const [header, ...rows] = ps.stdout.trimEnd().split("\n");
    assert.match(header ?? "", /^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$/);
    const row = rows.find((l) => l.startsWith(id.slice(0, 12)));
    assert.ok(row, ps.stdout);
    assert.match(row, /^[0-9a-f]{12} +busybox +"sh -c 'echo started…" +.+ ago +Up .+ +web$/);

    const fmt = await cli(
      "ps",
      "--filter",
      "label=app=web",
      "--format",
      '{{.Names}} {{.State}} {{.Label "app"}}',
    );
    assert.equal(fmt.stdout, "web running web\n");
    const table = await cli("ps", "--filter", "name=web", "--format", "table {{.ID}}\t{{.Names}}");
    assert.equal(table.stdout, `CONTAINER ID   NAMES\n${id.slice(0, 12)}   web\n`);
    const json = await cli("ps", "--filter", "name=web", "--format", "json");
    assert.equal(JSON.parse(json.stdout).Names, "web");

    assert.ok(await eventually(async () => (await cli("logs", "web")).stdout === "started\n"));
    assert.equal((await cli("inspect", "-f", "{{.State.Status}}", "web")).stdout, "running\n");
    assert.equal(
      (await cli("inspect", "--format", "{{json .Config.Cmd}}", "web")).stdout,
      '["sh","-c","echo started; sleep 60"]\n',
    );
    const full = await cli("inspect", "web");
    assert.equal(JSON.parse(full.stdout)[0].Id, id);

    const stop = await cli("stop", "-t", "1", "web");
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout, "web\n");
    assert.equal((await cli("inspect", "-f", "{{.State.Status}}", "web")).stdout, "exited\n");
    const rm = await cli("rm", "web");
    assert.equal(rm.stdout, "web\n");
    const gone = await cli("inspect", "web");
    assert.equal(gone.code, 1);
    assert.equal(gone.stdout, "[]\n");
    assert.equal(gone.stderr, "Error: No such object: web\n");
  });

  test("create, start -a, rename, wait", async () => {
    const created = await cli("create", "--name", "r1", "busybox", "sh", "-c", "echo from-start; exit 5");
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout.trim(), hex64);
    const renamed = await cli("rename", "r1", "r2");
    assert.equal(renamed.code, 0, renamed.stderr);
    assert.equal((await cli("inspect", "-f", "{{.Name}}", "r2")).stdout, "/r2\n");
    const started = await cli("start", "-a", "r2");
    assert.equal(started.code, 5);
    assert.equal(started.stdout, "from-start\n");
    const waited = await cli("wait", "r2");
    assert.equal(waited.stdout, "5\n");
    const missing = await cli("rename", "nosuch", "x");
    assert.equal(missing.code, 1);
    assert.equal(
      missing.stderr,
      "Error response from daemon: No such container: nosuch\nError: failed to rename container named nosuch\n",
    );
    await cli("rm", "r2");
  });

  test("kill, then wait reports 137", async () => {
    const run = await cli("run", "-d", "--name", "k1", "busybox", "sleep", "60");
    assert.equal(run.code, 0, run.stderr);
    const kill = await cli("kill", "k1");
    assert.equal(kill.stdout, "k1\n");
    assert.equal((await cli("wait", "k1")).stdout, "137\n");
    assert.equal((await cli("inspect", "-f", "{{.State.ExitCode}}", "k1")).stdout, "137\n");
    const again = await cli("kill", "k1");
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^Error response from daemon: .*is not running/);
    await cli("rm", "k1");
  });

  test("tag, inspect an image, rmi", async () => {
    const tag = await cli("tag", "busybox", "mybox:v1");
    assert.equal(tag.code, 0, tag.stderr);
    const images = await cli("images", "mybox");
    assert.match(images.stdout, /\nmybox +v1 +[0-9a-f]{12} /);
    assert.match((await cli("inspect", "-f", "{{.Id}}", "mybox:v1")).stdout, /^sha256:[0-9a-f]{64}\n$/);
    const rmi = await cli("rmi", "mybox:v1");
    assert.equal(rmi.code, 0, rmi.stderr);
    assert.equal(rmi.stdout, "Untagged: mybox:v1\n");
    const again = await cli("rmi", "mybox:v1");
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^Error response from daemon: .*mybox:v1/i);
    const bad = await cli("tag", "busybox", "Bad");
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /must be lowercase/);
  });

  test("container prune removes stopped containers", async () => {
    const ids: string[] = [];
    for (const n of ["p1", "p2"]) {
      const r = await cli("run", "-d", "--name", n, "-l", "prune=yes", "busybox", "true");
      ids.push(r.stdout.trim());
    }
    for (const n of ["p1", "p2"]) await cli("wait", n);
    const r = await cli("container", "prune", "-f", "--filter", "label=prune=yes");
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n");
    assert.equal(lines[0], "Deleted Containers:");
    assert.deepEqual(lines.slice(1, 3).sort(), [...ids].sort());
    assert.match(r.stdout, /\n\nTotal reclaimed space: [\d.]+k?B\n$/);
    assert.equal((await cli("ps", "-aq", "--filter", "label=prune=yes")).stdout, "");
  });

  test("a missing command exits 127, a non-executable one 126", async () => {
    const r = await cli("run", "--name", "nocmd", "busybox", "nosuchcmd");
    assert.equal(r.code, 127, r.stderr);
    assert.match(
      r.stderr,
      /^wharf: Error response from daemon: .*\n\nRun 'wharf run --help' for more information\n$/,
    );
    const dir = await cli("run", "--name", "nonexec", "busybox", "/etc");
    assert.equal(dir.code, 126, dir.stderr);
    assert.equal((await cli("rm", "nocmd", "nonexec")).stdout, "nocmd\nnonexec\n");
  });

  test("an unknown image: docker's lookup message and the pull's error, exit 125", async () => {
    const r = await cli("run", "--rm", "nosuchimage:1");
    assert.equal(r.code, 125);
    assert.match(
      r.stderr,
      /^Unable to find image 'nosuchimage:1' locally\nwharf: Error response from daemon: /,
    );
    const create = await cli("create", "--pull", "never", "nosuchimage:1");
    assert.equal(create.code, 1);
    assert.match(create.stderr, /^Error response from daemon: No such image: nosuchimage:1/);
  });

  test("management aliases and ps -a with a table format", async () => {
    const r = await cli("container", "run", "--name", "alias1", "busybox", "true");
    assert.equal(r.code, 0, r.stderr);
    const ls = await cli(
      "container",
      "ls",
      "-a",
      "--filter",
      "name=alias1",
      "--format",
      "table {{.Names}}\t{{.Status}}",
    );
    assert.match(ls.stdout, /^NAMES +STATUS\nalias1 +Exited \(0\) .+ ago\n$/);
    const imageLs = await cli("image", "ls", "--format", "{{.Repository}}:{{.Tag}}");
    assert.match(imageLs.stdout, /^busybox:latest$/m);
    assert.equal((await cli("container", "rm", "alias1")).stdout, "alias1\n");
  });

  test("version, info and events", async () => {
    const v = await cli("version", "--format", "{{.Server.Version}} {{.Client.APIVersion}}");
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /^\S+ 1\.\d+\n$/);
    const info = await cli("info", "--format", "{{.Images}}");
    assert.match(info.stdout, /^\d+\n$/);
    const events = await cli(
      "events",
      "--since",
      "10m",
      "--until",
      "0s",
      "--filter",
      "event=create",
      "--format",
      "{{.Type}} {{.Action}}",
    );
    assert.equal(events.code, 0, events.stderr);
    assert.match(events.stdout, /^container create$/m);
  });
});
