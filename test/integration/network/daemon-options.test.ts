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
