// bin/wharf's interactive commands against a real wharfd: exec, attach, start -ai, top, stats,
// pause/unpause, update — docker's flags, output and exit codes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { hasPython, type PtyStep, runOnPty } from "../../helpers/pty.ts";
import { type CliResult, type Daemon, eventually, startDaemon, wharf, wharfBin } from "./harness.ts";

const hasScript = spawnSync("script", ["--version"]).status === 0;

describe("wharf CLI: interactive containers", { skip: process.getuid?.() !== 0 && "needs root" }, () => {
  let daemon: Daemon;
  const cli = (...args: string[]): Promise<CliResult> => wharf(daemon.host, args);
  const withInput = (input: string, ...args: string[]) => wharf(daemon.host, args, { input });
  const underTty = (cmd: string) =>
    spawnSync("script", ["-qc", `${wharfBin} -H ${daemon.host} ${cmd}`, "/dev/null"], {
      encoding: "utf8",
      timeout: 60_000,
      killSignal: "SIGKILL",
      input: "",
    });

  before(async () => {
    daemon = await startDaemon();
    assert.equal((await cli("image", "bootstrap", "busybox")).code, 0);
    assert.equal(
      (await cli("run", "-d", "--name", "box", "busybox", "sh", "-c", "sleep 600 & wait")).code,
      0,
    );
  });
  after(async () => {
    await daemon?.stop();
  });

  test("exec: output, exit code, -e -u -w, -i stdin, -d, unknown container", async () => {
    const r = await cli("exec", "box", "sh", "-c", "echo out; echo err >&2; exit 7");
    assert.deepEqual([r.code, r.stdout, r.stderr], [7, "out\n", "err\n"]);
    const env = await cli(
      "exec",
      "-e",
      "A=b",
      "-u",
      "nobody",
      "-w",
      "/tmp",
      "box",
      "sh",
      "-c",
      "echo $A $(id -u) $(pwd)",
    );
    assert.equal(env.stdout, "b 65534 /tmp\n", env.stderr);
    assert.equal((await withInput("piped\n", "exec", "-i", "box", "cat")).stdout, "piped\n");
    assert.equal((await cli("exec", "-d", "box", "touch", "/tmp/d")).code, 0);
    assert.ok(await eventually(async () => (await cli("exec", "box", "test", "-e", "/tmp/d")).code === 0));
    const missing = await cli("exec", "nosuch", "true");
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No such container: nosuch/);
    const tty = await cli("exec", "-it", "box", "tty");
    assert.equal(tty.code, 1);
    assert.match(tty.stderr, /the input device is not a TTY/);
  });

  test("run -it and exec -it under a pseudo-terminal", { skip: !hasScript && "no script(1)" }, () => {
    assert.match(underTty("run -it --rm busybox tty").stdout, /\/dev\/pts\/\d+/);
    assert.match(underTty("exec -it box tty").stdout, /\/dev\/pts\/\d+/);
  });

  test("run -it and exec -it on a real terminal: raw output, size follows the terminal, ctrl-c reaches the container", {
    skip: !hasPython && "no python3 for a pseudo-terminal",
  }, () => {
    // ash runs a trap between commands: ctrl-c is typed while it loops over sleep, not in read.
    const script =
      'trap "echo got-int; exit 3" INT; echo ready; while :; do read x; [ "$x" = go ] && break; stty size; done; echo looping; while :; do sleep 0.1; done';
    const steps: PtyStep[] = [
      { expect: "ready" },
      { send: "\n" },
      { expect: "30 90\r\n" },
      // The new size travels CLI → daemon → conmon: each Enter prints the size seen so far.
      { resize: [41, 123] },
      { until: "41 123\r\n", send: "\n" },
      { send: "go\n" },
      { expect: "looping" },
      { send: "\x03" },
      { expect: "got-int" },
    ];
    for (const args of [
      ["run", "-it", "--rm", "busybox", "sh", "-c", script],
      ["exec", "-it", "box", "sh", "-c", script],
    ]) {
      const r = runOnPty([wharfBin, "-H", daemon.host, ...args], [30, 90], steps);
      assert.equal(r.failed, null, `${args[0]}: ${JSON.stringify(r)}`);
      assert.equal(r.exit, 3, args[0]);
      // Raw like the docker CLI's terminal: the container's CRLF is not turned into CR CR LF.
      assert.doesNotMatch(r.output, /\r\r\n/, args[0]);
    }
  });

  test("run -i pipes stdin; start -ai re-attaches stdin", async () => {
    const run = await withInput("data\n", "run", "-i", "--rm", "busybox", "cat");
    assert.deepEqual([run.code, run.stdout], [0, "data\n"]);
    assert.equal(
      (await cli("create", "--name", "cat1", "-i", "busybox", "sh", "-c", "read x; echo got:$x")).code,
      0,
    );
    const start = await withInput("hello\n", "start", "-ai", "cat1");
    assert.equal(start.stdout, "got:hello\n", start.stderr);
  });

  test("run --health-* flags: healthy in ps and inspect; --no-healthcheck conflicts", async () => {
    const run = await cli(
      "run",
      "-d",
      "--name",
      "hc1",
      "--health-cmd",
      "test -e /tmp/ok",
      "--health-interval",
      "200ms",
      "--health-start-period",
      "5s",
      "--health-start-interval",
      "100ms",
      "busybox",
      "sh",
      "-c",
      "touch /tmp/ok; sleep 600",
    );
    assert.equal(run.code, 0, run.stderr);
    const healthy = async () =>
      (await cli("inspect", "-f", "{{.State.Health.Status}}", "hc1")).stdout === "healthy\n";
    assert.ok(await eventually(healthy));
    assert.match((await cli("ps", "--filter", "name=hc1", "--format", "{{.Status}}")).stdout, /\(healthy\)/);
    assert.equal((await cli("ps", "--filter", "health=healthy", "--format", "{{.Names}}")).stdout, "hc1\n");
    const info = await cli("inspect", "-f", "{{json .Config.Healthcheck}}", "hc1");
    assert.deepEqual(JSON.parse(info.stdout), {
      Test: ["CMD-SHELL", "test -e /tmp/ok"],
      Interval: 200_000_000,
      StartPeriod: 5_000_000_000,
      StartInterval: 100_000_000,
    });
    const both = await cli("create", "--no-healthcheck", "--health-cmd", "true", "busybox");
    assert.equal(both.code, 125);
    assert.match(both.stderr, /--no-healthcheck conflicts with --health-\* options/);
  });

  test("attach refuses stopped containers", async () => {
    assert.equal((await cli("create", "--name", "stopped1", "busybox", "true")).code, 0);
    const r = await cli("attach", "stopped1");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /You cannot attach to a stopped container, start it first/);
  });

  test("top, stats --no-stream and --format, pause/unpause, update", async () => {
    const top = await cli("top", "box");
    assert.match(top.stdout, /^UID {17}PID {17}PPID/);
    assert.match(top.stdout, /sleep 600/);
    const aux = await cli("top", "box", "aux");
    assert.match(aux.stdout, /^USER\s+PID\s+%CPU/);
    const stats = await cli("stats", "--no-stream", "box");
    assert.match(
      stats.stdout,
      // Columns are as wide as their widest cell (NET I/O grows once the container has traffic).
      /^CONTAINER ID {3}NAME {6}CPU % {5}MEM USAGE \/ LIMIT {3}MEM % {5}NET I\/O {3,}BLOCK I\/O {3,}PIDS\n/,
    );
    assert.match(stats.stdout, /\n[0-9a-f]{12} {3}box {7}\d+\.\d\d% /);
    const fmt = await cli("stats", "--no-stream", "--format", "{{.Name}}:{{.PIDs}}", "box");
    assert.equal(fmt.stdout, "box:2\n");
    // --all: stopped containers get a row of zeros, as docker's.
    assert.equal((await cli("create", "--name", "idle1", "busybox", "true")).code, 0);
    const all = await cli("stats", "--no-stream", "--all", "--format", "{{.Name}} {{.MemUsage}} {{.PIDs}}");
    assert.match(all.stdout, /^idle1 0B \/ 0B 0$/m);
    assert.match(all.stdout, /^box \S+ \/ \S+ 2$/m);
    const running = await cli("stats", "--no-stream", "--format", "{{.Name}}");
    assert.doesNotMatch(running.stdout, /idle1/);
    assert.equal((await cli("pause", "box")).stdout, "box\n");
    assert.match((await cli("ps", "--format", "{{.Status}}", "--filter", "name=box")).stdout, /\(Paused\)/);
    const again = await cli("pause", "box");
    assert.equal(again.code, 1);
    assert.match(again.stderr, /is already paused/);
    assert.equal((await cli("unpause", "box")).stdout, "box\n");
    assert.equal(
      (await cli("update", "--memory", "48m", "--restart", "unless-stopped", "box")).stdout,
      "box\n",
    );
    const info = await cli(
      "inspect",
      "-f",
      "{{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}}",
      "box",
    );
    assert.equal(info.stdout, "50331648 unless-stopped\n");
    const none = await cli("update", "box");
    assert.equal(none.code, 1);
  });
});
