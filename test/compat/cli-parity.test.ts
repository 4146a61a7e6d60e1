// The same commands through the real docker CLI and through bin/wharf, against one daemon, with
// the same expectations: run's flags reach the container, ps's -n/-s/--no-trunc/-l, logs'
// -f/--tail/-t/--since/--until, and Ctrl-C reaching the container. Set WHARF_TEST_SOCKET to a
// reference dockerd's socket to check the expectations against Docker itself.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { killAfter } from "../helpers/bounded.ts";
import { isRoot, startDaemon, type TestDaemon } from "../helpers/daemon.ts";
import { busyboxTar } from "../helpers/images.ts";

const repoRoot = join(import.meta.dirname, "..", "..");
const hasDocker = spawnSync("docker", ["--version"]).status === 0;
const suffix = `${process.pid}`;

interface Result {
  code: number | null;
  out: string;
  err: string;
}

const clis = [
  { name: "docker", bin: "docker" },
  { name: "wharf", bin: join(repoRoot, "bin/wharf") },
];

describe("docker and wharf CLIs agree", {
  skip: (!isRoot() && "needs root") || (!hasDocker && "docker CLI missing"),
}, () => {
  let d: TestDaemon;
  const image = `parity-bb-${suffix}:latest`;
  const dir = mkdtempSync(join(tmpdir(), "wharf-parity-"));
  const names: string[] = [];

  before(async () => {
    d = await startDaemon();
    const imported = spawnSync(
      "docker",
      ["-H", `unix://${d.socket}`, "import", "-c", 'CMD ["sh"]', await busyboxTar(), image],
      { encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL" },
    );
    assert.equal(imported.status, 0, imported.stderr);
  });
  after(async () => {
    // Bounded: a synchronous call to a wedged daemon would block even the hook's own timeout.
    const docker = (...args: string[]) =>
      spawnSync("docker", ["-H", `unix://${d.socket}`, ...args], { timeout: 60_000, killSignal: "SIGKILL" });
    if (names.length) docker("rm", "-f", ...names);
    docker("rmi", "-f", image);
    rmSync(dir, { recursive: true, force: true });
    await d?.stop();
  });

  test("info, version, images and inspect print the same text through both CLIs", () => {
    const both = (...args: string[]) =>
      clis.map(
        (cli) =>
          spawnSync(cli.bin, ["-H", `unix://${d.socket}`, ...args], {
            encoding: "utf8",
            timeout: 60_000,
            killSignal: "SIGKILL",
          }).stdout,
      );
    // Only the client's own lines may differ; Go prints the runtimes map in random order.
    const serverPart = (text: string) =>
      text
        .slice(text.indexOf("Server:"))
        .replace(
          /^( Runtimes: )(.*)$/m,
          (_, head: string, names: string) => head + names.split(" ").sort().join(" "),
        );
    const [dockerInfo, wharfInfo] = both("info").map(serverPart);
    assert.match(dockerInfo ?? "", /Storage Driver: overlay2/);
    assert.equal(wharfInfo, dockerInfo);
    const [dockerVersion, wharfVersion] = both("version").map(serverPart);
    assert.match(dockerVersion ?? "", /API version:/);
    assert.equal(wharfVersion, dockerVersion);
    // CREATED moves on between the two runs ("1 second ago", "2 seconds ago"), and the padding with it.
    const [dockerImages, wharfImages] = both("images", "--filter", `reference=parity-bb-${suffix}`).map((t) =>
      t.replace(/(Less than a second|\d+ seconds?|About a minute) ago/g, "X ago").replace(/ {2,}/g, "   "),
    );
    assert.match(dockerImages ?? "", new RegExp(`^parity-bb-${suffix} +latest +[0-9a-f]{12} `, "m"));
    assert.equal(wharfImages, dockerImages);

    // inspect: the daemon's JSON as is, and templates over it as docker's Go structs see them.
    const ctr = `inspect-${suffix}`;
    names.push(ctr);
    const created = spawnSync(
      "docker",
      ["-H", `unix://${d.socket}`, "create", "--name", ctr, "-e", "A=1", "-l", "x=y", image, "true"],
      { encoding: "utf8", timeout: 60_000, killSignal: "SIGKILL" },
    );
    assert.equal(created.status, 0, created.stderr);
    const [dockerInspect, wharfInspect] = both("inspect", ctr);
    assert.equal(wharfInspect, dockerInspect);
    for (const format of [
      "{{json .Config}}",
      "{{json .State}}",
      "{{.Config.ExposedPorts}} {{.HostConfig.Memory}} {{.State.Status}} {{.Name}}",
      "{{range .Config.Env}}{{.}},{{end}}",
    ]) {
      const [dockerOut, wharfOut] = both("inspect", "-f", format, ctr);
      assert.equal(wharfOut, dockerOut, format);
    }
  });

  for (const cli of clis) {
    const run = (...args: string[]): Result => {
      const r = spawnSync(cli.bin, ["-H", `unix://${d.socket}`, ...args], {
        encoding: "utf8",
        timeout: 60_000,
        killSignal: "SIGKILL",
      });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    const name = (base: string) => {
      const n = `${base}-${cli.name}-${suffix}`;
      names.push(n);
      return n;
    };
    const inspect = (ref: string, format: string) => run("inspect", "-f", format, ref).out.trim();

    test(`${cli.name} run: -e --env-file -w -u -h --entrypoint -l -m --cpus --pids-limit --network none --init`, () => {
      const envFile = join(dir, `env-${cli.name}`);
      writeFileSync(envFile, "FROM_FILE=two\n# a comment\n");
      const n = name("flags");
      const script = [
        "echo env=$X,$FROM_FILE",
        "echo pwd=$(pwd)",
        "echo uid=$(id -u)",
        "echo host=$(hostname)",
        "echo pid1=$(tr '\\0' ' ' < /proc/1/cmdline)",
        "echo mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)",
        "echo pids=$(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max)",
        "echo quota=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cut -d' ' -f1 /sys/fs/cgroup/cpu.max)",
        "echo ifaces=$(ls /sys/class/net)",
      ].join("; ");
      const r = run(
        "run",
        "--name",
        n,
        "-e",
        "X=one",
        "--env-file",
        envFile,
        "-w",
        "/tmp",
        "-u",
        "nobody",
        "-h",
        "box7",
        "--entrypoint",
        "/bin/sh",
        "-l",
        "parity=yes",
        "--restart",
        "no",
        "-m",
        "32m",
        "--cpus",
        "0.5",
        "--pids-limit",
        "20",
        "--network",
        "none",
        "--init",
        image,
        "-c",
        script,
      );
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^env=one,two$/m);
      assert.match(r.out, /^pwd=\/tmp$/m);
      assert.match(r.out, /^uid=65534$/m);
      assert.match(r.out, /^host=box7$/m);
      assert.match(r.out, /^pid1=\S*(docker-init|tini)\S* -- \/bin\/sh -c /m);
      assert.match(r.out, /^mem=33554432$/m);
      assert.match(r.out, /^pids=20$/m);
      assert.match(r.out, /^quota=50000$/m);
      assert.match(r.out, /^ifaces=lo$/m);
      assert.equal(
        inspect(
          n,
          "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.Init}} {{.HostConfig.NetworkMode}} {{.HostConfig.RestartPolicy.Name}}",
        ),
        "33554432 500000000 20 true none no",
      );
      assert.equal(
        inspect(
          n,
          '{{json .Config.Entrypoint}} {{.Config.User}} {{.Config.WorkingDir}} {{index .Config.Labels "parity"}}',
        ),
        '["/bin/sh"] nobody /tmp yes',
      );
    });

    test(`${cli.name} run: a missing --env-file is the CLI's error, exit 125`, () => {
      const r = run("run", "--rm", "--env-file", join(dir, "no-such.env"), image, "true");
      assert.equal(r.code, 125);
      assert.match(r.err, new RegExp(`^${cli.name}: open ${dir}/no-such.env: no such file or directory\n`));
    });

    test(`${cli.name} run --network host shares the host's interfaces and name`, () => {
      const r = run("run", "--rm", "--network", "host", image, "sh", "-c", "hostname; ls /sys/class/net");
      assert.equal(r.code, 0, r.err);
      const [host, ...ifaces] = r.out.trim().split("\n");
      assert.equal(host, hostname());
      // Other tests add and remove veths meanwhile: compare the stable ones, lo and the uplink.
      const uplink = readFileSync("/proc/net/route", "utf8")
        .split("\n")
        .find((l) => l.split("\t")[1] === "00000000")
        ?.split("\t")[0];
      assert.ok(uplink && ifaces.includes(uplink) && ifaces.includes("lo"), ifaces.join(" "));
    });

    test(`${cli.name} run --restart on-failure:1 -d restarts once`, async () => {
      const n = name("restart");
      assert.equal(
        run("run", "-d", "--name", n, "--restart", "on-failure:1", image, "sh", "-c", "exit 3").code,
        0,
      );
      let state = "";
      for (let i = 0; i < 100 && state !== "1 exited 3"; i++) {
        await new Promise((r) => setTimeout(r, 100));
        state = inspect(n, "{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}");
      }
      assert.equal(state, "1 exited 3");
    });

    test(`${cli.name} ps: -n, -l, -s, --no-trunc`, () => {
      const label = `pslist=${cli.name}${suffix}`;
      const first = run(
        "create",
        "--name",
        name("ps1"),
        "-l",
        label,
        image,
        "sh",
        "-c",
        "echo a long command line",
      );
      const second = run("create", "--name", name("ps2"), "-l", label, image, "true");
      assert.equal(first.code, 0, first.err);
      assert.equal(second.code, 0, second.err);
      const ids = (...args: string[]) => run("ps", "-q", "--filter", `label=${label}`, ...args).out;
      assert.equal(ids("-a"), `${second.out.slice(0, 12)}\n${first.out.slice(0, 12)}\n`);
      assert.equal(ids("-n", "1"), `${second.out.slice(0, 12)}\n`, "-n implies -a and keeps the newest");
      assert.equal(ids("-l"), `${second.out.slice(0, 12)}\n`);
      assert.equal(ids("-a", "--no-trunc"), `${second.out}${first.out}`);
      const wide = run("ps", "-a", "--no-trunc", "--filter", `name=ps1-${cli.name}`).out.split("\n");
      assert.match(
        wide[1] ?? "",
        new RegExp(`^${first.out.trim()} +${image} +"sh -c 'echo a long command line'"`),
      );
      const sized = run("ps", "-a", "-s", "--filter", `label=${label}`).out.split("\n");
      assert.match(sized[0] ?? "", /^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES +SIZE$/);
      assert.match(sized[1] ?? "", / \d+B \(virtual [\d.]+[kM]B\)$/);
    });

    test(`${cli.name} logs: -f, --tail, -t, --since, --until`, async () => {
      const n = name("logs");
      const started = run(
        "run",
        "-d",
        "--name",
        n,
        image,
        "sh",
        "-c",
        "echo one; sleep 0.3; echo two >&2; sleep 1; echo three",
      );
      assert.equal(started.code, 0, started.err);
      const followed = run("logs", "-f", n);
      assert.equal(followed.code, 0, followed.err);
      assert.equal(followed.out, "one\nthree\n");
      assert.equal(followed.err, "two\n");
      const tail = run("logs", "--tail", "2", n);
      assert.deepEqual([tail.out, tail.err], ["three\n", "two\n"]);
      assert.equal(run("logs", "-n", "1", n).out, "three\n");
      const stamped = run("logs", "-t", "--tail", "1", n).out;
      assert.match(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z three\n$/);
      const stamp = stamped.split(" ")[0] as string;
      assert.equal(run("logs", "--since", stamp, n).out, "three\n", "since is inclusive");
      const firstStamp = run("logs", "-t", n).out.split(" ")[0] as string;
      const until = run("logs", "--until", firstStamp, n);
      assert.deepEqual([until.out, until.err], ["one\n", ""], "until is inclusive");
      assert.equal(run("logs", "--since", "2099-01-01T00:00:00Z", n).out, "");
      assert.equal(run("logs", "--since", "1h", n).out, "one\nthree\n");
      const bad = run("logs", "--since", "yesterday", n);
      assert.equal(bad.code, 1);
      assert.match(
        bad.err,
        /invalid value for "since": failed to parse value as time or duration: "yesterday"/,
      );
    });

    test(`${cli.name} run without -t: Ctrl-C goes to the container, the CLI exits with its code`, async () => {
      const n = name("ctrlc");
      const child = spawn(cli.bin, [
        "-H",
        `unix://${d.socket}`,
        "run",
        "--name",
        n,
        image,
        "sh",
        "-c",
        "trap 'echo got-int; exit 130' INT; echo ready; while :; do sleep 0.1; done",
      ]);
      killAfter(child, 60_000);
      let out = "";
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
      });
      const exited = new Promise<number | null>((r) => child.once("close", (code) => r(code)));
      try {
        for (let i = 0; i < 200 && !out.includes("ready"); i++) await new Promise((r) => setTimeout(r, 50));
        assert.match(out, /ready/);
        child.kill("SIGINT");
        assert.equal(await exited, 130);
        assert.match(out, /got-int/);
        assert.equal(inspect(n, "{{.State.Status}} {{.State.ExitCode}}"), "exited 130");
      } finally {
        child.kill("SIGKILL"); // a failed check must not leave the CLI (and its pipes) behind
      }
    });
  }
});
