// The daemon's iptables chains live exactly as long as something needs them: created at start,
// kept (with their rules) over a clean stop while a container runs, removed on a clean stop
// with nothing running, along with CNI portmap's jumps for this daemon's ports.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { chainNames } from "../../../src/engine/network/firewall.ts";
import { isRoot, startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { importBusybox } from "../../helpers/images.ts";

const skip = (!isRoot() && "needs root") || (process.env.WHARF_TEST_SOCKET && "needs a wharfd of its own");

function rules(): string {
  return ["iptables", "ip6tables"]
    .flatMap((tool) =>
      ["filter", "nat"].map((table) =>
        execFileSync(tool, ["-w", "5", "-t", table, "-S"], { encoding: "utf8" }),
      ),
    )
    .join("\n");
}

async function defaultBridge(d: TestDaemon): Promise<string> {
  const n = await d.api.ok<{ Options: Record<string, string> }>("GET", "/networks/bridge");
  return n.Options["com.docker.network.bridge.name"] ?? "";
}

describe("iptables chain lifetime", { skip }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
    await importBusybox(d.api);
  });
  after(async () => {
    await d?.stop();
  });

  test("a clean stop with a container running keeps the chains and rules; with none, they go", async () => {
    const bridge = await defaultBridge(d);
    const own = chainNames(bridge);
    const { Id: netId } = await d.api.ok<{ Id: string }>("POST", "/networks/create", {
      Name: `chains-${bridge}`,
    });
    const cniName = `wharf-${netId.slice(0, 12)}`;
    const id = await d.api.run({
      Image: "busybox",
      Cmd: ["sleep", "300"],
      ExposedPorts: { "80/tcp": {} },
      HostConfig: {
        NetworkMode: `chains-${bridge}`,
        PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] },
      },
    });
    let now = rules();
    for (const c of Object.values(own)) assert.ok(now.includes(`-N ${c}\n`), `${c} exists`);
    assert.ok(now.includes(`-A FORWARD -j ${own.forward}`));
    assert.ok(now.includes(cniName), "portmap has this container's port");

    await d.terminate();
    now = rules();
    assert.ok(now.includes(`-A FORWARD -j ${own.forward}`), "a running container keeps its forwarding");
    assert.ok(now.includes(`"wharf:${bridge}"`));
    assert.ok(now.includes(cniName), "and its published port");

    await d.restart();
    await d.api.ok("DELETE", `/containers/${id}?force=1`);
    await d.api.ok("DELETE", `/networks/${netId}`);
    assert.ok(!rules().includes(cniName), "the port's portmap rules go with the container");
    await d.terminate();
    now = rules();
    for (const c of Object.values(own)) assert.ok(!now.includes(c), `${c} is gone`);
    assert.ok(!now.includes(`"wharf:${bridge}"`), "the default bridge's rules are gone");

    // The next start puts everything back.
    await d.restart();
    now = rules();
    for (const c of Object.values(own)) assert.ok(now.includes(`-N ${c}\n`), `${c} is back`);
    assert.ok(now.includes(`"wharf:${bridge}"`));
  });
});
