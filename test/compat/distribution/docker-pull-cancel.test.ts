// The real docker CLI interrupted mid-pull (Ctrl-C) against wharfd: the daemon cancels the
// pull with the request, as dockerd does — the registry sees the layer download abandoned, no
// image is left, and a new pull then completes. Set WHARF_TEST_SOCKET to run the same against
// a reference dockerd.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { after, before, test } from "node:test";
import { startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { busyboxTar } from "../../helpers/images.ts";
import { type FaultProxy, startFaultProxy } from "../../integration/distribution/helpers.ts";
import { startTestRegistry, type TestRegistry } from "../../integration/registry/helpers.ts";

const hasDocker = spawnSync("docker", ["--version"]).status === 0;
const skip = hasDocker ? false : "docker CLI missing";
const suffix = `${process.pid}`;

let d: TestDaemon;
let reg: TestRegistry;
let proxy: FaultProxy;
let name: string;

function start(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; err: string }> } {
  const child = spawn("docker", ["-H", `unix://${d.socket}`, ...args], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  child.stderr?.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  const done = new Promise<{ code: number | null; err: string }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, err });
    });
  });
  return { child, done };
}
const docker = (args: string[]) => start(args).done;

async function eventually(check: () => boolean, ms = 30_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !check()) await new Promise((r) => setTimeout(r, 50));
  return check();
}

before(async () => {
  if (skip) return;
  reg = await startTestRegistry();
  proxy = await startFaultProxy(reg.url);
  proxy.faultMinBytes = 64 * 1024; // the layer, not the config
  name = `${proxy.host}/cancel/bb-${suffix}:1`;
  d = await startDaemon();
  const imported = await docker(["import", "-c", 'CMD ["sh"]', await busyboxTar(), name]);
  assert.equal(imported.code, 0, imported.err);
  const pushed = await docker(["push", name]);
  assert.equal(pushed.code, 0, pushed.err);
  assert.equal((await docker(["rmi", name])).code, 0);
});
after(async () => {
  if (skip) return;
  // The servers in this process close even when before() failed early or a step here throws.
  try {
    if (d) await docker(["rmi", "-f", name]);
    await d?.stop();
  } finally {
    await proxy?.close();
    await reg?.close();
  }
});

test("docker pull interrupted mid-layer: the daemon abandons the download, no image left", {
  skip,
  timeout: 180_000,
}, async () => {
  proxy.blobAborts = 0;
  proxy.blobGets.length = 0;
  proxy.slowBlobs = { bytes: 16 * 1024, everyMs: 25 };
  const pull = start(["pull", name]);
  try {
    // The layer is trickling in once its GET has been answered for a moment.
    assert.ok(await eventually(() => proxy.blobGets.length >= 2), JSON.stringify(proxy.blobGets));
    await new Promise((r) => setTimeout(r, 300));
    pull.child.kill("SIGINT");
    const interrupted = await pull.done;
    assert.notEqual(interrupted.code, 0);
    assert.ok(await eventually(() => proxy.blobAborts >= 1), "the daemon stopped reading the layer");
  } finally {
    pull.child.kill("SIGKILL"); // a failed check must not leave the pull running
    proxy.slowBlobs = undefined;
  }
  const inspect = await docker(["image", "inspect", name]);
  assert.equal(inspect.code, 1);
  assert.match(inspect.err, /no such image/i);
  const again = await docker(["pull", name]);
  assert.equal(again.code, 0, again.err);
});
