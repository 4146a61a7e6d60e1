// Testcontainers for Node (the npm `testcontainers` package, unchanged) against wharfd: the
// client library many test suites use to start throwaway containers. Ryuk, its reaper, is an
// image from Docker Hub, so it is disabled (offline machine); each test removes what it started.
// Set WHARF_TEST_SOCKET to a reference dockerd's socket to run the same checks against Docker.
import assert from "node:assert/strict";
import { readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { settlesWithin } from "../helpers/bounded.ts";
import { isRoot, startDaemon, type TestDaemon } from "../helpers/daemon.ts";
import { importBusybox } from "../helpers/images.ts";
import { listTar } from "../helpers/tars.ts";

type Testcontainers = typeof import("testcontainers");

describe("Testcontainers for Node against the daemon", { skip: !isRoot() && "needs root" }, () => {
  let d: TestDaemon;
  let tc: Testcontainers;
  const image = `tc-busybox-${process.pid}:latest`;
  /** Containers and networks a test started, removed in after() if the test could not. */
  const containerIds: string[] = [];
  const networkIds: string[] = [];

  before(async () => {
    d = await startDaemon();
    await importBusybox(d.api, image);
    // Testcontainers reads its environment once, when it first reaches for the runtime.
    process.env.DOCKER_HOST = `unix://${d.socket}`;
    process.env.TESTCONTAINERS_RYUK_DISABLED = "true";
    tc = await import("testcontainers");
  });

  after(async () => {
    // Testcontainers leaves its lock file (testcontainers-node-<uid>.lock) in the temp dir.
    for (const f of readdirSync(tmpdir())) {
      if (/^testcontainers-node-\d+\.lock$/.test(f)) rmSync(join(tmpdir(), f), { force: true });
    }
    if (!d) return;
    const cleanup = (async () => {
      for (const id of containerIds) await d.api.call("DELETE", `/containers/${id}?force=1&v=1`);
      for (const id of networkIds) await d.api.call("DELETE", `/networks/${id}`);
      await d.api.call("DELETE", `/images/${encodeURIComponent(image)}?force=1`);
    })();
    // Bounded: a wedged daemon must not keep the hook from stopping it.
    await settlesWithin(cleanup, 60_000);
    await d.stop();
  });

  /** Whether the daemon still has the container (Testcontainers removes it on stop). */
  const exists = async (id: string) => (await d.api.call("GET", `/containers/${id}/json`)).status === 200;

  test("a web server: default wait strategy, mapped port, exec, copy in and out, logs, stop removes it", async () => {
    const web = await new tc.GenericContainer(image)
      .withCommand([
        "sh",
        "-c",
        'mkdir -p /www && echo "hello $GREETING" > /www/index.html && echo serving && exec httpd -f -p 8080 -h /www',
      ])
      .withEnvironment({ GREETING: "testcontainers" })
      .withLabels({ "wharf.test": "tc" })
      .withExposedPorts(8080)
      .start();
    containerIds.push(web.getId());

    // The default strategy waited for the port from the host and from inside the container.
    const res = await fetch(`http://${web.getHost()}:${web.getMappedPort(8080)}/`);
    assert.equal(await res.text(), "hello testcontainers\n");
    assert.equal(web.getLabels()["wharf.test"], "tc");

    const ran = await web.exec(["sh", "-c", "echo out; echo err >&2; exit 3"]);
    assert.deepEqual(
      { exitCode: ran.exitCode, stdout: ran.stdout, stderr: ran.stderr },
      { exitCode: 3, stdout: "out\n", stderr: "err\n" },
    );

    await web.copyContentToContainer([{ content: "copied in", target: "/tmp/in.txt", mode: 0o640 }]);
    const stat = await web.exec(["stat", "-c", "%a %s", "/tmp/in.txt"]);
    assert.equal(stat.output, "640 9\n");
    const files = await listTar(await web.copyArchiveFromContainer("/tmp/in.txt"));
    assert.equal(files.find((f) => f.name === "in.txt")?.body, "copied in");

    const logs = await web.logs();
    const text = await new Promise<string>((resolve) => {
      let out = "";
      logs.on("data", (line: string | Buffer) => {
        out += line.toString();
        if (out.includes("serving")) resolve(out);
      });
    });
    assert.match(text, /serving/);
    logs.destroy();

    const stopped = await web.stop();
    assert.equal(await exists(stopped.getId()), false, "removed on stop");
  });

  test("a network with aliases: one container reaches another by its alias", async () => {
    const network = await new tc.Network().start();
    networkIds.push(network.getId());
    const server = await new tc.GenericContainer(image)
      .withCommand(["sh", "-c", "echo up; exec sleep 300"])
      .withNetwork(network)
      .withNetworkAliases("db-alias")
      .withWaitStrategy(tc.Wait.forLogMessage("up"))
      .start();
    containerIds.push(server.getId());
    const client = await new tc.GenericContainer(image)
      .withCommand(["sleep", "300"])
      .withNetwork(network)
      .start();
    containerIds.push(client.getId());

    const ping = await client.exec(["ping", "-c", "1", "-W", "2", "db-alias"]);
    assert.equal(ping.exitCode, 0, ping.output);
    assert.equal(
      client.getIpAddress(network.getName()).split(".").length,
      4,
      "an IPv4 address on the network",
    );

    await client.stop({ timeout: 1 });
    await server.stop({ timeout: 1 });
    await network.stop();
    assert.equal((await d.api.call("GET", `/networks/${network.getId()}`)).status, 404);
  });

  test("health-check wait strategy, restart, and a container stopped but kept", async () => {
    const c = await new tc.GenericContainer(image)
      .withCommand(["sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 300"])
      .withHealthCheck({ test: ["CMD", "test", "-f", "/tmp/ready"], interval: 200, retries: 50 })
      .withWaitStrategy(tc.Wait.forHealthCheck())
      .start();
    containerIds.push(c.getId());
    const health = await d.api.ok<{ State: { Health: { Status: string } } }>(
      "GET",
      `/containers/${c.getId()}/json`,
    );
    assert.equal(health.State.Health.Status, "healthy");

    const startedAt = async () =>
      (await d.api.ok<{ State: { StartedAt: string } }>("GET", `/containers/${c.getId()}/json`)).State
        .StartedAt;
    const before = await startedAt();
    await c.restart({ timeout: 1 });
    assert.notEqual(await startedAt(), before);

    const stopped = await c.stop({ timeout: 1, remove: false });
    const state = await d.api.ok<{ State: { Running: boolean } }>(
      "GET",
      `/containers/${stopped.getId()}/json`,
    );
    assert.equal(state.State.Running, false);
  });
});
