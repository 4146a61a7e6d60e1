// wharfd's networking options: --bip, --default-address-pools, --iptables=false.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { isRoot, startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { importBusybox } from "../../helpers/images.ts";

const skip = (!isRoot() && "needs root") || (process.env.WHARF_TEST_SOCKET && "needs a wharfd of its own");

interface NetInspect {
  Options: Record<string, string>;
  IPAM: { Config: Array<{ Subnet: string; Gateway?: string }> };
}

describe("daemon networking options", { skip }, () => {
  let d: TestDaemon;
  const x = randomInt(1, 250);
  before(async () => {
    d = await startDaemon([
      "--bip",
      `10.236.${x}.1/24`,
      "--default-address-pools",
      `base=10.237.${x}.0/24,size=28`,
      "--iptables=false",
    ]);
    await importBusybox(d.api);
  });
  after(async () => {
    await d?.stop();
  });

  test("--bip sets the default bridge; pools give user networks their subnets", async () => {
    const bridge = await d.api.ok<NetInspect>("GET", "/networks/bridge");
    assert.deepEqual(bridge.IPAM.Config, [{ Subnet: `10.236.${x}.0/24`, Gateway: `10.236.${x}.1` }]);
    const device = bridge.Options["com.docker.network.bridge.name"] ?? "";
    assert.match(
      execFileSync("ip", ["-4", "-o", "addr", "show", "dev", device], { encoding: "utf8" }),
      new RegExp(`10\\.236\\.${x}\\.1/24`),
    );
    const { Id } = await d.api.ok<{ Id: string }>("POST", "/networks/create", { Name: `pool-${x}` });
    const net = await d.api.ok<NetInspect>("GET", `/networks/${Id}`);
    assert.equal(net.IPAM.Config[0]?.Subnet, `10.237.${x}.0/28`);
    const second = await d.api.ok<{ Id: string }>("POST", "/networks/create", { Name: `pool2-${x}` });
    assert.equal(
      (await d.api.ok<NetInspect>("GET", `/networks/${second.Id}`)).IPAM.Config[0]?.Subnet,
      `10.237.${x}.16/28`,
    );
    const id = await d.api.run({ Image: "busybox", Cmd: ["sleep", "60"] });
    const ip = (await d.api.ok<{ NetworkSettings: { IPAddress: string } }>("GET", `/containers/${id}/json`))
      .NetworkSettings.IPAddress;
    assert.equal(ip, `10.236.${x}.2`);
  });

  test("--iptables=false adds no rules for this daemon's networks", async () => {
    const bridge = await d.api.ok<NetInspect>("GET", "/networks/bridge");
    const device = bridge.Options["com.docker.network.bridge.name"] ?? "";
    for (const table of ["filter", "nat"]) {
      const rules = execFileSync("iptables", ["-w", "5", "-t", table, "-S"], { encoding: "utf8" });
      assert.ok(!rules.includes(`"wharf:${device}"`), `${table} has rules for ${device}`);
      assert.ok(
        !rules.includes(`"wharf:br-`) || !rules.includes(`10.237.${x}.`),
        "no rules for the pool's networks",
      );
    }
  });
});

describe("default subnets avoid the host's routes", { skip }, () => {
  // A /16 on a bridge of its own, as docker0's 172.17.0.0/16 is, and a route on the first
  // subnet of a second pool: the daemon must pick around both. Ranges are this run's own.
  const a = 2 * randomInt(120, 126); // 10.240–10.250, even: the /15 below is aligned
  const r = randomInt(1, 250);
  const dummy = `wt7d${randomInt(0, 0xffff).toString(16)}`;
  let d: TestDaemon | undefined;
  before(async () => {
    execFileSync("ip", ["link", "add", dummy, "type", "bridge"]);
    execFileSync("ip", ["addr", "add", `10.${a}.0.1/16`, "dev", dummy]);
    execFileSync("ip", ["link", "set", dummy, "up"]);
    execFileSync("ip", ["route", "add", `10.252.${r}.0/26`, "dev", dummy]);
    d = await startDaemon([
      "--default-address-pools",
      `base=10.${a}.0.0/15,size=16`,
      "--default-address-pools",
      `base=10.252.${r}.0/24,size=26`,
    ]);
  });
  after(async () => {
    try {
      await d?.stop();
    } finally {
      execFileSync("ip", ["link", "del", dummy]); // takes its address and route along
    }
  });

  test("the default bridge skips a /16 in use; a user network skips a routed subnet", async () => {
    const api = (d as TestDaemon).api;
    const bridge = await api.ok<NetInspect>("GET", "/networks/bridge");
    assert.deepEqual(bridge.IPAM.Config, [{ Subnet: `10.${a + 1}.0.0/16`, Gateway: `10.${a + 1}.0.1` }]);
    const { Id } = await api.ok<{ Id: string }>("POST", "/networks/create", { Name: `avoid-${r}` });
    const net = await api.ok<NetInspect>("GET", `/networks/${Id}`);
    assert.equal(net.IPAM.Config[0]?.Subnet, `10.252.${r}.64/26`);
  });
});
