// A streamed `stats` must stop reading the container's cgroup once its client is gone — a raw
// HTTP client that disconnects, or the docker or wharf CLI that is ended. Measured from the outside:
// wharfd's read syscalls (/proc/<pid>/io) while a stream is live vs. after its client left.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { killAfter, settlesWithin } from "../../helpers/bounded.ts";
import { isRoot, startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { importBusybox } from "../../helpers/images.ts";

const hasDocker = spawnSync("docker", ["--version"]).status === 0;
const wharfBin = join(import.meta.dirname, "..", "..", "..", "bin", "wharf");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("stats stream ends with its client", { skip: !isRoot() && "needs root" }, () => {
  let d: TestDaemon;
  let id: string;
  let pid: number;
  /** wharfd's read syscalls during a 2 s window. */
  const reads = async () => {
    const count = () => Number(/syscr: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, "utf8"))?.[1]);
    const start = count();
    await sleep(2000);
    return count() - start;
  };
  /** Opens a stats stream and waits for its first document. */
  const openStream = () =>
    new Promise<{ close: () => void }>((resolve, reject) => {
      const req = request({ socketPath: d.socket, path: `/v1.41/containers/${id}/stats?stream=1` }, (res) => {
        res.once("data", () => resolve({ close: () => req.destroy() }));
        res.on("error", () => undefined);
      });
      req.on("error", reject);
      req.end();
    });

  before(async () => {
    d = await startDaemon();
    if (!d.owned) return;
    const started = /"msg":"wharfd started".*?"pid":(\d+)/.exec(d.logs());
    pid = Number(started?.[1]);
    await importBusybox(d.api, "bb:latest");
    id = await d.api.run({ Image: "bb", Cmd: ["sleep", "600"] });
  });
  after(async () => {
    // Bounded: a wedged daemon must not keep the hook from stopping it.
    if (id) await settlesWithin(d.api.call("DELETE", `/containers/${id}?force=1`), 60_000);
    await d?.stop();
  });

  test("a client that disconnects: the reads stop", async (t) => {
    if (!d.owned) return t.skip("needs a wharfd of the test's own");
    const stream = await openStream();
    const live = await reads();
    stream.close();
    await sleep(200);
    const gone = await reads();
    // A live stream reads a dozen cgroup files a second; an idle wharfd next to nothing.
    assert.ok(live >= 10, `a live stream reads the cgroup (${live} reads)`);
    assert.ok(gone * 4 < live, `reads after the client left: ${gone}, while streaming: ${live}`);
  });

  // The docker CLI's stats of named containers ignores a single SIGTERM (against Docker too: it
  // wants three), so it is killed outright; wharf's CLI ends on SIGTERM.
  for (const [cli, signal] of [
    ["docker", "SIGKILL"],
    [wharfBin, "SIGTERM"],
  ] as const) {
    test(`${cli.split("/").at(-1)} stats ended by ${signal}: the reads stop`, {
      skip: cli === "docker" && !hasDocker && "no docker CLI",
      timeout: 60_000,
    }, async (t) => {
      if (!d.owned) return t.skip("needs a wharfd of the test's own");
      const child = spawn(
        cli,
        ["-H", `unix://${d.socket}`, "stats", "--format", "{{.Name}} {{.CPUPerc}}", id],
        {
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      killAfter(child, 90_000); // outlives the test's timeout, never the file
      const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
      let live: number;
      try {
        await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
        live = await reads();
        child.kill(signal);
        await exited;
      } finally {
        child.kill("SIGKILL"); // a failed check must not leave the CLI running
      }
      await sleep(200);
      const gone = await reads();
      assert.ok(live >= 10, `a live stream reads the cgroup (${live} reads)`);
      assert.ok(gone * 4 < live, `reads after the CLI left: ${gone}, while streaming: ${live}`);
    });
  }
});
