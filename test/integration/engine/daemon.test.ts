// wharfd as a process: one per data root, clean shutdown that leaves containers running, and
// re-adoption of containers (and of exits that happened while it was down) on restart.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { demux } from "../../helpers/api.ts";
import { isRoot, startDaemon, type TestDaemon, testBridgeName } from "../../helpers/daemon.ts";
import { importBusybox } from "../../helpers/images.ts";

const repoRoot = join(import.meta.dirname, "..", "..", "..");

describe("daemon", { skip: !isRoot() && "needs root" }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
    await importBusybox(d.api);
  });
  after(async () => {
    await d?.stop();
  });

  test("a second wharfd on the same data root is refused", {
    skip: !process.env.WHARF_TEST_SOCKET ? false : "external daemon",
  }, () => {
    const second = spawnSync(
      join(repoRoot, "bin/wharfd"),
      ["-H", `unix://${d.socket}.2`, "--data-root", d.dataRoot, "--exec-root", `${d.execRoot}2`],
      { encoding: "utf8", timeout: 20_000 },
    );
    assert.equal(second.status, 1);
    assert.match(second.stderr, /another wharfd is already running/);
  });

  test("bad flags and config are refused with a clear message", () => {
    // Bounded: a wharfd that started after all would block this process (and its timeouts) forever.
    const bad = spawnSync(join(repoRoot, "bin/wharfd"), ["--bogus"], { encoding: "utf8", timeout: 20_000 });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /unknown flag: --bogus/);
    const missing = spawnSync(join(repoRoot, "bin/wharfd"), ["--config-file", "/nonexistent/daemon.json"], {
      encoding: "utf8",
      timeout: 20_000,
    });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /unable to read config file/);
    // A bad -H is refused before anything is set up: no bridge, no data root.
    const bridge = testBridgeName();
    const dir = mkdtempSync(join(tmpdir(), "wharf-badhost-"));
    const badHost = spawnSync(
      join(repoRoot, "bin/wharfd"),
      [
        "-H",
        "bogus://x",
        "--data-root",
        join(dir, "data"),
        "--exec-root",
        join(dir, "run"),
        "--bridge",
        bridge,
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    assert.equal(badHost.status, 1);
    assert.equal(
      badHost.stderr,
      "wharfd: invalid --host: bogus://x (use unix:///path or tcp://127.0.0.1:PORT)\n",
    );
    assert.equal(existsSync(`/sys/class/net/${bridge}`), false);
    assert.equal(existsSync(join(dir, "data")), false);
    rmSync(dir, { recursive: true, force: true });
  });

  test("containers survive a daemon crash and are re-adopted; exits meanwhile are recorded", {
    skip: process.env.WHARF_TEST_SOCKET ? "external daemon" : false,
  }, async () => {
    const long = await d.api.run(
      { Image: "busybox", Cmd: ["sh", "-c", "echo before; sleep 60"] },
      "survivor",
    );
    const short = await d.api.run(
      { Image: "busybox", Cmd: ["sh", "-c", "sleep 1; exit 4"] },
      "exits-while-down",
    );
    const pid = (await d.api.ok<{ State: { Pid: number } }>("GET", `/containers/${long}/json`)).State.Pid;
    await d.crash();
    await new Promise((r) => setTimeout(r, 1500));
    assert.doesNotThrow(() => process.kill(pid, 0), "container died with the daemon");
    await d.restart();
    const survivor = await d.api.ok<{ State: { Running: boolean; Pid: number } }>(
      "GET",
      `/containers/${long}/json`,
    );
    assert.equal(survivor.State.Running, true);
    assert.equal(survivor.State.Pid, pid);
    const exited = await d.api.ok<{ State: { Status: string; ExitCode: number } }>(
      "GET",
      `/containers/${short}/json`,
    );
    assert.equal(exited.State.Status, "exited");
    assert.equal(exited.State.ExitCode, 4);
    assert.equal(
      demux((await d.api.call("GET", `/containers/${long}/logs?stdout=1`)).body).stdout,
      "before\n",
    );
    assert.equal((await d.api.call("POST", `/containers/${long}/stop?t=1`)).status, 204);
    assert.equal(
      (await d.api.ok<{ State: { ExitCode: number } }>("GET", `/containers/${long}/json`)).State.ExitCode,
      137,
    );
  });
});

/** A TCP port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

function tcpPing(port: number): Promise<{ status: number; apiVersion: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/_ping" }, (res) => {
      res.resume();
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, apiVersion: String(res.headers["api-version"]) }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

describe("wharfd flags, daemon.json and SIGTERM", {
  skip: (!isRoot() && "needs root") || (process.env.WHARF_TEST_SOCKET ? "needs a wharfd of its own" : false),
}, () => {
  let d: TestDaemon;
  let port: number;
  let dir = "";
  before(async () => {
    // Made here, not when the file loads: a skipped suite runs no after() to remove it.
    dir = mkdtempSync(join(tmpdir(), "wharf-daemon-cfg-"));
    port = await freePort();
    const config = join(dir, "daemon.json");
    writeFileSync(
      config,
      JSON.stringify({
        "default-shm-size": "32M",
        "insecure-registries": ["cfgtest.local:5000"],
        "registry-mirrors": ["https://mirror.cfgtest.local"],
        "log-level": "debug",
      }),
    );
    d = await startDaemon(["-H", `tcp://127.0.0.1:${port}`, "--config-file", config]);
    await importBusybox(d.api);
  });
  after(async () => {
    await d?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("listens on the unix socket (mode 0660) and on tcp://127.0.0.1 at once", async () => {
    assert.equal(statSync(d.socket).mode & 0o777, 0o660);
    const tcp = await tcpPing(port);
    assert.equal(tcp.status, 200);
    assert.equal(tcp.apiVersion, "1.50");
  });

  test("daemon.json keys take effect: shm size, registries, log level", async () => {
    const id = await d.api.run({ Image: "busybox", Cmd: ["sh", "-c", "df -k /dev/shm | tail -1"] });
    await d.api.waitExit(id);
    const info = await d.api.ok<{ HostConfig: { ShmSize: number } }>("GET", `/containers/${id}/json`);
    assert.equal(info.HostConfig.ShmSize, 32 * 1024 * 1024);
    const logs = await d.api.call("GET", `/containers/${id}/logs?stdout=1`);
    assert.match(logs.body.subarray(8).toString(), /\s32768\s/);
    const sys = await d.api.ok<{
      RegistryConfig: { IndexConfigs: Record<string, { Secure: boolean; Mirrors: string[] }> };
    }>("GET", "/info");
    assert.equal(sys.RegistryConfig.IndexConfigs["cfgtest.local:5000"]?.Secure, false);
    assert.deepEqual(sys.RegistryConfig.IndexConfigs["docker.io"]?.Mirrors, [
      "https://mirror.cfgtest.local/",
    ]);
    assert.match(d.logs(), /"level":"debug"/);
    // Structured log lines: every line wharfd writes is one JSON object with time, level, msg.
    for (const line of d.logs().split("\n").filter(Boolean)) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      assert.ok(entry.time && entry.level && entry.msg, line);
    }
  });

  test("SIGTERM: the daemon stops, containers keep running, the socket goes; the next wharfd re-adopts them", async () => {
    const id = await d.api.run({ Image: "busybox", Cmd: ["sh", "-c", "echo up; sleep 600"] }, "outlives");
    const pid = (await d.api.ok<{ State: { Pid: number } }>("GET", `/containers/${id}/json`)).State.Pid;
    await d.terminate();
    assert.match(d.logs(), /"msg":"shutting down; containers keep running","signal":"SIGTERM"/);
    assert.equal(existsSync(d.socket), false, "the unix socket outlived the daemon");
    assert.doesNotThrow(() => process.kill(pid, 0), "the container died with the daemon");
    await d.restart();
    const after = await d.api.ok<{ State: { Running: boolean; Pid: number } }>(
      "GET",
      "/containers/outlives/json",
    );
    assert.deepEqual([after.State.Running, after.State.Pid], [true, pid]);
    assert.equal((await d.api.call("POST", "/containers/outlives/stop?t=1")).status, 204);
  });
});
