// Debian's docker-compose 1.29 (docker-py 5, a client no one here wrote) against wharfd:
// up -d, ps, logs, exec, stop/start, down. Set WHARF_TEST_SOCKET to a reference dockerd's
// socket to run the same checks against Docker. Features the daemon does not have yet
// (networks: compose then needs network_mode; exec) are probed and skipped with the reason.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isRoot, startDaemon, type TestDaemon } from "../helpers/daemon.ts";
import { busyboxTar } from "../helpers/images.ts";

const hasCompose = spawnSync("docker-compose", ["version"]).status === 0;
const hasDocker = spawnSync("docker", ["--version"]).status === 0;
const suffix = `${process.pid}`;
const project = `dcv1${suffix}`;

describe("docker-compose 1.29 compatibility", {
  skip:
    (!isRoot() && "needs root") ||
    (!hasCompose && "docker-compose missing (apt-get install docker-compose)") ||
    (!hasDocker && "docker CLI missing (used to import the test image)"),
}, () => {
  let d: TestDaemon;
  let dir: string;
  let networks = false;
  let exec = false;
  const image = `compat-compose-bb-${suffix}:latest`;
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, {
      cwd: dir,
      encoding: "utf8",
      timeout: 120_000,
      killSignal: "SIGKILL",
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        DOCKER_HOST: `unix://${d.socket}`,
        HOME: process.env.HOME ?? "/root",
      },
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const dc = (...args: string[]) => run("docker-compose", ["-p", project, ...args]);
  const docker = (...args: string[]) => run("docker", args);
  const projectContainers = async () =>
    (
      await d.api.ok<Array<{ Names: string[]; State: string; Labels: Record<string, string> }>>(
        "GET",
        `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${project}`] }))}`,
      )
    )
      .map((c) => ({ name: (c.Names[0] ?? "").slice(1), state: c.State, labels: c.Labels }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  const routeExists = async (path: string) => {
    const res = await d.api.call("GET", path);
    return !(res.status === 404 && /page not found/.test(res.text()));
  };

  before(async () => {
    d = await startDaemon();
    dir = mkdtempSync(join(tmpdir(), "wharf-compat-compose-"));
    const imported = docker("import", "-c", 'CMD ["sh"]', await busyboxTar(), image);
    assert.equal(imported.code, 0, imported.err);
    networks = await routeExists("/networks");
    exec = await routeExists("/exec/0000/json");
    const mode = networks ? "" : "    network_mode: bridge\n";
    writeFileSync(
      join(dir, "docker-compose.yml"),
      `version: "3.8"\nservices:\n  a:\n    image: ${image}\n    command: sh -c 'echo hello from a; exec sleep 300'\n    environment: [ROLE=first]\n${mode}  b:\n    image: ${image}\n    command: sh -c 'echo hello from b; exec sleep 300'\n    depends_on: [a]\n${mode}`,
    );
  });

  after(async () => {
    if (d) {
      dc("down", "-t", "1");
      docker("rmi", "-f", image);
      await d.stop();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("up -d creates and starts the services, named and labelled as compose 1 does", async () => {
    const up = dc("up", "-d");
    assert.equal(up.code, 0, up.err);
    const list = await projectContainers();
    assert.deepEqual(
      list.map((c) => [c.name, c.state]),
      [
        [`${project}_a_1`, "running"],
        [`${project}_b_1`, "running"],
      ],
    );
    assert.equal(list[0]?.labels["com.docker.compose.service"], "a");
    assert.equal(list[0]?.labels["com.docker.compose.oneoff"], "False");
  });

  test("ps and logs", () => {
    const ps = dc("ps");
    assert.equal(ps.code, 0, ps.err);
    assert.match(ps.out, new RegExp(`^${project}_a_1 .* Up`, "m"));
    assert.match(ps.out, new RegExp(`^${project}_b_1 .* Up`, "m"));
    const logs = dc("logs", "--no-color");
    assert.equal(logs.code, 0, logs.err);
    assert.match(logs.out, /^a_1 +\| hello from a$/m);
    assert.match(logs.out, /^b_1 +\| hello from b$/m);
  });

  test("exec", (t) => {
    if (!exec) {
      t.skip("the daemon has no exec endpoint (POST /containers/{id}/exec answers 404 page not found)");
      return;
    }
    const r = dc("exec", "-T", "a", "sh", "-c", "echo $ROLE");
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, "first\n");
  });

  test("stop and start", async () => {
    const stop = dc("stop", "-t", "1");
    assert.equal(stop.code, 0, stop.err);
    assert.deepEqual(
      (await projectContainers()).map((c) => c.state),
      ["exited", "exited"],
    );
    const start = dc("start");
    assert.equal(start.code, 0, start.err);
    assert.deepEqual(
      (await projectContainers()).map((c) => c.state),
      ["running", "running"],
    );
  });

  test("down removes the project's containers", async () => {
    const down = dc("down", "-t", "1");
    assert.equal(down.code, 0, down.err);
    assert.deepEqual(await projectContainers(), []);
  });
});
