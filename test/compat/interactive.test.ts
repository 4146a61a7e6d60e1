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
      killSignal: "SIGKILL",
      input,
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  /** Runs a docker command under a pseudo-terminal (util-linux script). */
  const dockerTty = (cmd: string) => {
    const r = spawnSync("script", ["-qc", `docker -H unix://${d.socket} ${cmd}`, "/dev/null"], {
      encoding: "utf8",
      timeout: 60_000,
      killSignal: "SIGKILL",
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
    for (const name of [
      box,
      `ia-restart-${suffix}`,
      `ia-always-${suffix}`,
      `ia-always-${suffix}-k`,
      `ia-health-${suffix}`,
      `ia-tty-${suffix}`,
      `ia-cat-${suffix}`,
    ])
      docker(["rm", "-f", name]);
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

  test("docker run --restart on-failure:2 restarts twice, then stays exited; docker start starts over", async () => {
    const name = `ia-restart-${suffix}`;
    const r = docker(["run", "-d", "--name", name, "--restart", "on-failure:2", image, "false"]);
    assert.equal(r.code, 0, r.err);
    const settled = async () => {
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
      return state;
    };
    assert.equal(await settled(), "exited 2 1");
    // A manual start gives the policy its retries again (Docker resets RestartCount): three
    // more runs, so six deaths in all (without the reset it would be four).
    assert.equal(docker(["start", name]).code, 0);
    assert.equal(await settled(), "exited 2 1");
    const dieEvents = () =>
      docker([
        "events",
        "--since",
        "0",
        "--until",
        String(Math.ceil(Date.now() / 1000) + 1),
        "--filter",
        `container=${name}`,
        "--filter",
        "event=die",
        "--format",
        "{{.Action}}",
      ])
        .out.trim()
        .split("\n").length;
    // The last death's event may trail the state inspect saw.
    let dies = dieEvents();
    for (let i = 0; i < 20 && dies < 6; i++) {
      await new Promise((res) => setTimeout(res, 100));
      dies = dieEvents();
    }
    assert.equal(dies, 6);
  });

  test("a restarting container: listed by docker ps, exec refused with Docker's message", async () => {
    const name = `ia-always-${suffix}`;
    const r = docker(["run", "-d", "--name", name, "--restart", "always", image, "sh", "-c", "exit 3"]);
    assert.equal(r.code, 0, r.err);
    // The back-off grows with each quick exit, so the container is soon caught between runs;
    // each check polls on its own, as the container may come up between two commands.
    const poll = async (check: () => boolean) => {
      for (let i = 0; i < 200; i++) {
        if (check()) return true;
        await new Promise((res) => setTimeout(res, 50));
      }
      return false;
    };
    let status = "";
    assert.ok(
      await poll(() => {
        status = docker(["ps", "--filter", `name=${name}`, "--format", "{{.Status}}"]).out.trim();
        return status.startsWith("Restarting");
      }),
      status,
    );
    assert.match(status, /^Restarting \(3\) /);
    assert.ok(
      await poll(
        () =>
          docker(["inspect", "-f", "{{.State.Running}} {{.State.Restarting}}", name]).out === "true true\n",
      ),
    );
    let refused = "";
    assert.ok(
      await poll(() => {
        refused = docker(["exec", name, "true"]).err;
        return /is restarting, wait until the container is running/.test(refused);
      }),
      refused,
    );
    // Stopping it cancels the pending restart: 204 (not 304), and it stays exited with its code.
    assert.ok(await poll(() => docker(["inspect", "-f", "{{.State.Status}}", name]).out === "restarting\n"));
    assert.equal((await d.api.call("POST", `/containers/${name}/stop`)).status, 204);
    assert.equal(docker(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", name]).out, "exited 3\n");
    assert.equal(docker(["rm", name]).code, 0);
    // docker kill of a restarting container succeeds and leaves it exited.
    const killed = `${name}-k`;
    assert.equal(
      docker(["run", "-d", "--name", killed, "--restart", "always", image, "sh", "-c", "exit 3"]).code,
      0,
    );
    assert.ok(
      await poll(() => docker(["inspect", "-f", "{{.State.Status}}", killed]).out === "restarting\n"),
    );
    assert.equal((await d.api.call("POST", `/containers/${killed}/kill`)).status, 204);
    assert.equal(
      docker(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", killed]).out,
      "exited 3\n",
    );
    assert.equal(docker(["rm", killed]).code, 0);
  });

  test("health flags: starting then healthy in ps and inspect, the health filter; bad durations refused", async () => {
    const name = `ia-health-${suffix}`;
    const r = docker([
      "run",
      "-d",
      "--name",
      name,
      "--health-cmd",
      "test -e /tmp/ready",
      "--health-interval",
      "200ms",
      "--health-retries",
      "2",
      image,
      "sh",
      "-c",
      "sleep 1; touch /tmp/ready; sleep 600",
    ]);
    assert.equal(r.code, 0, r.err);
    const health = () => docker(["inspect", "-f", "{{.State.Health.Status}}", name]).out.trim();
    let seen = health();
    for (let i = 0; i < 100 && seen !== "healthy"; i++) {
      await new Promise((res) => setTimeout(res, 100));
      seen = health();
    }
    assert.equal(seen, "healthy");
    assert.match(docker(["ps", "--filter", `name=${name}`, "--format", "{{.Status}}"]).out, /\(healthy\)/);
    const filtered = docker(["ps", "--filter", "health=healthy", "--format", "{{.Names}}"]).out;
    assert.match(filtered, new RegExp(`^${name}$`, "m"));
    assert.doesNotMatch(
      docker(["ps", "--filter", "health=unhealthy", "--format", "{{.Names}}"]).out,
      new RegExp(name),
    );
    const bad = docker(["create", "--health-cmd", "true", "--health-interval", "100us", image]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /Interval in Healthcheck cannot be less than 1ms/);
    const none = docker(["create", "--no-healthcheck", "--health-cmd", "true", image]);
    assert.notEqual(none.code, 0);
  });

  test("docker attach with --detach-keys under a terminal, and docker start -ai", {
    skip: !hasScript && "no script(1)",
  }, () => {
    const name = `ia-tty-${suffix}`;
    assert.equal(docker(["run", "-dit", "--name", name, image, "cat"]).code, 0);
    // The input reaches the container's terminal; ctrl-x x detaches and leaves it running.
    const r = spawnSync(
      "script",
      ["-qc", `docker -H unix://${d.socket} attach --detach-keys ctrl-x,x ${name}`, "/dev/null"],
      {
        encoding: "utf8",
        timeout: 60_000,
        killSignal: "SIGKILL",
        input: "attached-42\n\x18x",
      },
    );
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /read escape sequence/);
    assert.equal(docker(["inspect", "-f", "{{.State.Running}}", name]).out, "true\n");
    // What the attached session typed reached the container (its cat wrote it back).
    let logs = "";
    for (let i = 0; i < 50 && !logs.includes("attached-42"); i++) logs = docker(["logs", name]).out;
    assert.match(logs, /attached-42/);

    const cat = `ia-cat-${suffix}`;
    assert.equal(
      docker(["create", "-i", "--name", cat, image, "sh", "-c", "read x; echo got:$x; exit 5"]).code,
      0,
    );
    const started = docker(["start", "-ai", cat], "hello\n");
    assert.equal(started.out, "got:hello\n");
    assert.equal(started.code, 5);
  });
});
