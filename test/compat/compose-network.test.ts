// docker-compose 1.29 (a client no one here wrote) on wharfd's networks: the project network is
// created, containers are attached with their service name as alias, resolve each other by it,
// and `down` removes it all. WHARF_TEST_SOCKET runs the same against a reference dockerd.
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
const project = `wharfnet${process.pid}`;

describe("docker-compose: project network and service names", {
  skip:
    (!isRoot() && "needs root") || ((!hasCompose || !hasDocker) && "docker-compose or docker CLI missing"),
}, () => {
  let d: TestDaemon;
  const dir = mkdtempSync(join(tmpdir(), "wharf-compose-net-"));
  const image = `compose-net-bb-${process.pid}:latest`;
  const compose = (...args: string[]) => {
    const r = spawnSync("docker-compose", ["-p", project, "-f", join(dir, "docker-compose.yml"), ...args], {
      encoding: "utf8",
      timeout: 120_000,
      killSignal: "SIGKILL",
      env: { ...process.env, DOCKER_HOST: `unix://${d.socket}`, COMPOSE_INTERACTIVE_NO_CLI: "1" },
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const docker = (...args: string[]) =>
    spawnSync("docker", ["-H", `unix://${d.socket}`, ...args], {
      encoding: "utf8",
      timeout: 60_000,
      killSignal: "SIGKILL",
    });

  before(async () => {
    d = await startDaemon();
    assert.equal(docker("import", "-c", 'CMD ["sh"]', await busyboxTar(), image).status, 0);
    writeFileSync(
      join(dir, "docker-compose.yml"),
      [
        'version: "3"',
        "services:",
        "  web:",
        `    image: ${image}`,
        '    command: sh -c "mkdir -p /www && echo compose-web > /www/index.html && exec httpd -f -p 80 -h /www"',
        "  client:",
        `    image: ${image}`,
        '    command: sh -c "sleep 300"',
        "",
      ].join("\n"),
    );
  });
  after(async () => {
    compose("down", "-t", "0");
    docker("rmi", "-f", image);
    rmSync(dir, { recursive: true, force: true });
    await d?.stop();
  });

  test("up, reach a service by name, down", () => {
    const up = compose("up", "-d");
    assert.equal(up.code, 0, up.err);
    const net = docker("network", "inspect", "-f", "{{.Name}} {{len .Containers}}", `${project}_default`);
    assert.equal(net.stdout, `${project}_default 2\n`);
    let got = "";
    for (let i = 0; i < 20 && got !== "compose-web\n"; i++) {
      got = docker("exec", `${project}_client_1`, "wget", "-qO-", "http://web/").stdout ?? "";
      if (got === "") got = runInNet(`http://web/`);
    }
    assert.equal(got, "compose-web\n");
    const down = compose("down", "-t", "0");
    assert.equal(down.code, 0, down.err);
    assert.notEqual(docker("network", "inspect", `${project}_default`).status, 0);
  });

  /** Without exec on the daemon: a one-off container on the project network does the request. */
  function runInNet(url: string): string {
    const r = docker(
      "run",
      "--rm",
      "--network",
      `${project}_default`,
      image,
      "timeout",
      "10",
      "wget",
      "-qO-",
      url,
    );
    return r.stdout ?? "";
  }
});
