// wharfd as a process: one per data root, clean shutdown that leaves containers running, and
// re-adoption of containers (and of exits that happened while it was down) on restart.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { demux } from "../../helpers/api.ts";
import { isRoot, startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
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
    const bad = spawnSync(join(repoRoot, "bin/wharfd"), ["--bogus"], { encoding: "utf8" });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /unknown flag: --bogus/);
    const missing = spawnSync(join(repoRoot, "bin/wharfd"), ["--config-file", "/nonexistent/daemon.json"], {
      encoding: "utf8",
    });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /unable to read config file/);
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
