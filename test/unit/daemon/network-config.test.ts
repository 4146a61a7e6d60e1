// wharfd's networking options, from flags and from daemon.json.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ConfigError, loadConfig } from "../../../src/daemon/config.ts";

describe("daemon networking options", () => {
  const dir = mkdtempSync(join(tmpdir(), "wharf-config-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (json: unknown) => {
    const path = join(dir, `${Math.random()}.json`);
    writeFileSync(path, JSON.stringify(json));
    return path;
  };

  test("defaults: bridge wharf0, 10.209.0.0/16 in /24s, iptables and ip-forward on", () => {
    const c = loadConfig(["--config-file", file({})]);
    assert.ok(c);
    assert.equal(c.bridge, "wharf0");
    assert.deepEqual(c.defaultAddressPools, [{ base: "10.209.0.0/16", size: 24 }]);
    assert.equal(c.iptables, true);
    assert.equal(c.ipForward, true);
    assert.equal(c.bip, undefined);
  });

  test("flags", () => {
    const c = loadConfig([
      "--config-file",
      file({}),
      "-b",
      "br-test",
      "--bip=10.50.0.1/24",
      "--default-address-pools",
      "base=10.60.0.0/16,size=26",
      "--iptables=false",
      "--ip-forward=false",
      "--mtu",
      "1400",
    ]);
    assert.ok(c);
    assert.equal(c.bridge, "br-test");
    assert.equal(c.bip, "10.50.0.1/24");
    assert.deepEqual(c.defaultAddressPools, [{ base: "10.60.0.0/16", size: 26 }]);
    assert.equal(c.iptables, false);
    assert.equal(c.ipForward, false);
    assert.equal(c.mtu, 1400);
    assert.throws(
      () => loadConfig(["--config-file", file({}), "--default-address-pools", "base=x,size=99"]),
      ConfigError,
    );
    assert.throws(() => loadConfig(["--config-file", file({}), "--iptables=maybe"]), ConfigError);
    assert.throws(() => loadConfig(["--config-file", file({}), "--mtu", "abc"]), /invalid MTU/);
    assert.throws(() => loadConfig(["--config-file", file({}), "--bip", "10.0.0.1"]), /invalid --bip/);
  });

  test("daemon.json keys, Docker's names", () => {
    const c = loadConfig([
      "--config-file",
      file({
        bridge: "br-json",
        bip: "10.70.0.1/24",
        "default-address-pools": [{ base: "10.80.0.0/16", size: 24 }],
        iptables: false,
        "ip-forward": false,
        mtu: 9000,
      }),
    ]);
    assert.ok(c);
    assert.equal(c.bridge, "br-json");
    assert.equal(c.bip, "10.70.0.1/24");
    assert.deepEqual(c.defaultAddressPools, [{ base: "10.80.0.0/16", size: 24 }]);
    assert.equal(c.iptables, false);
    assert.equal(c.ipForward, false);
    assert.equal(c.mtu, 9000);
  });
});
