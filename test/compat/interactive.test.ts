// The real docker CLI driving interactive and long-lived containers on wharfd: exec, stdin,
// TTYs, top, stats, pause/unpause, update, restart policies. Set WHARF_TEST_SOCKET to run the
// same checks against a reference dockerd.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { isRoot, startDaemon, type TestDaemon } from "../helpers/daemon.ts";
import { busyboxTar } from "../helpers/images.ts";

const hasDocker = spawnSync("docker", ["--version"]).status === 0;
const hasScript = spawnSync("script", ["--version"]).status === 0;
const suffix = `${process.pid}`;

describe("docker CLI: exec, attach, tty, top, stats, pause, restart", {
  skip: (!isRoot() && "needs root") || (!hasDocker && "docker CLI missing"),
}, () => {
  let d: TestDaemon;
  const image = `compat-ia-${suffix}:latest`;
  const box = `ia-box-${suffix}`;
  const docker = (args: string[], input?: string) => {
    const r = spawnSync("docker", ["-H", `unix://${d.socket}`, ...args], {
      encoding: "utf8",
      timeout: 60_000,
      input,
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  /** Runs a docker command under a pseudo-terminal (util-linux script). */
  const dockerTty = (cmd: string) => {
    const r = spawnSync("script", ["-qc", `docker -H unix://${d.socket} ${cmd}`, "/dev/null"], {
      encoding: "utf8",
      timeout: 60_000,
      input: "",
    });
    return { code: r.status, out: r.stdout };
  };

  before(async () => {
    d = await startDaemon();
    const imported = docker(["import", "-c", 'CMD ["sh"]', await busyboxTar(), image]);
    assert.equal(imported.code, 0, imported.err);
    const run = docker([
      "run",
      "-d",
      "--name",
      box,
      image,
      "sh",
      "-c",
      "sleep 600 & while :; do sleep 1; done",
    ]);
    assert.equal(run.code, 0, run.err);
  });
  after(async () => {
    for (const name of [box, `ia-restart-${suffix}`]) docker(["rm", "-f", name]);
    docker(["rmi", "-f", image]);
    await d?.stop();
  });

  test("docker exec: output, exit code 7, env/user/workdir, detached", () => {
    const r = docker(["exec", box, "sh", "-c", "echo out; echo err >&2; exit 7"]);
    assert.equal(r.code, 7);
    assert.equal(r.out, "out\n");
    assert.equal(r.err, "err\n");
    const env = docker([
      "exec",
      "-e",
      "FOO=bar",
      "-u",
      "nobody",
      "-w",
      "/tmp",
      box,
      "sh",
      "-c",
      "echo $FOO $(id -u) $(pwd)",
    ]);
    assert.equal(env.out, "bar 65534 /tmp\n", env.err);
    assert.equal(docker(["exec", "-d", box, "touch", "/tmp/from-detached"]).code, 0);
    let seen = docker(["exec", box, "ls", "/tmp/from-detached"]);
    for (let i = 0; i < 20 && seen.code !== 0; i++) seen = docker(["exec", box, "ls", "/tmp/from-detached"]);
    assert.equal(seen.code, 0);
  });

  test("stdin pipes: docker run -i and docker exec -i", () => {
    const run = docker(["run", "-i", "--rm", image, "cat"], "data\n");
    assert.equal(run.code, 0, run.err);
    assert.equal(run.out, "data\n");
    const exec = docker(["exec", "-i", box, "cat"], "piped\n");
    assert.equal(exec.out, "piped\n");
  });

  test("TTYs: docker run -it and docker exec -it get a /dev/pts terminal", {
    skip: !hasScript && "no script(1)",
  }, () => {
    const run = dockerTty(`run -it --rm ${image} tty`);
    assert.match(run.out, /\/dev\/pts\/\d+/);
    const exec = dockerTty(`exec -it ${box} tty`);
    assert.match(exec.out, /\/dev\/pts\/\d+/);
  });

  test("docker top and docker stats --no-stream show real figures", () => {
    const top = docker(["top", box]);
    assert.equal(top.code, 0, top.err);
    assert.match(top.out, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD/);
    assert.match(top.out, /sleep 600/);
    const stats = docker(["stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}} {{.PIDs}}", box]);
    assert.equal(stats.code, 0, stats.err);
    const [name, usage, , , pids] = stats.out.trim().split(" ");
    assert.equal(name, box);
    assert.match(usage ?? "", /^[\d.]+[KMG]?i?B$/);
    assert.notEqual(usage, "0B");
    assert.ok(Number(pids) >= 2, stats.out);
  });

  test("docker pause / unpause, and update", () => {
    assert.equal(docker(["pause", box]).code, 0);
    assert.match(docker(["ps", "--filter", `name=${box}`, "--format", "{{.Status}}"]).out, /\(Paused\)/);
    const refused = docker(["exec", box, "true"]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.err, /is paused, unpause the container before exec/);
    assert.equal(docker(["unpause", box]).code, 0);
    assert.equal(docker(["inspect", "-f", "{{.State.Status}}", box]).out, "running\n");
    assert.equal(
      docker(["update", "--memory", "64m", "--memory-swap", "128m", "--pids-limit", "64", box]).code,
      0,
    );
    assert.equal(docker(["inspect", "-f", "{{.HostConfig.Memory}}", box]).out, "67108864\n");
  });

  test("docker run --restart on-failure:2 restarts twice, then stays exited", async () => {
    const name = `ia-restart-${suffix}`;
    const r = docker(["run", "-d", "--name", name, "--restart", "on-failure:2", image, "false"]);
    assert.equal(r.code, 0, r.err);
    let state = "";
    for (let i = 0; i < 100; i++) {
      state = docker([
        "inspect",
        "-f",
        "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}",
        name,
      ]).out.trim();
      if (state === "exited 2 1") break;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(state, "exited 2 1");
  });
});
