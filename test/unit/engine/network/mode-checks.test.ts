// Which settings a network mode refuses at create, with dockerd's messages and order.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { InvalidParameterError } from "../../../../src/engine/errors.ts";
import {
  checkNetworkModeConflicts,
  networkModeWarnings,
} from "../../../../src/engine/network/mode-checks.ts";

const refused = (fn: () => void, message: string) =>
  assert.throws(fn, (err: unknown) => err instanceof InvalidParameterError && err.message === message);

describe("network mode conflicts", () => {
  test("container:<id> takes the joined container's hostname, resolvers, hosts, MAC and ports", () => {
    const mode = "container:abc";
    refused(
      () => checkNetworkModeConflicts(mode, { Hostname: "x" }, { Dns: ["1.1.1.1"] }, {}),
      "conflicting options: hostname and the network mode",
    );
    refused(
      () => checkNetworkModeConflicts(mode, {}, { Links: ["a:b"] }, {}),
      "conflicting options: container type network can't be used with links. This would result in undefined behavior",
    );
    refused(
      () => checkNetworkModeConflicts(mode, {}, { Dns: ["1.1.1.1"] }, {}),
      "conflicting options: dns and the network mode",
    );
    refused(
      () => checkNetworkModeConflicts(mode, {}, { ExtraHosts: ["a:1.2.3.4"] }, {}),
      "conflicting options: custom host-to-IP mapping and the network mode",
    );
    refused(
      () => checkNetworkModeConflicts(mode, { MacAddress: "02:42:ac:11:00:02" }, {}, {}),
      "conflicting options: mac-address and the network mode",
    );
    refused(
      () => checkNetworkModeConflicts(mode, {}, {}, { [mode]: { MacAddress: "02:42:ac:11:00:02" } }),
      "conflicting options: mac-address and the network mode",
    );
    refused(
      () => checkNetworkModeConflicts(mode, {}, { PublishAllPorts: true }, {}),
      "conflicting options: port publishing and the container type network mode",
    );
    refused(
      () => checkNetworkModeConflicts(mode, { ExposedPorts: { "80/tcp": {} } }, {}, {}),
      "conflicting options: port exposing and the container type network mode",
    );
    refused(
      () => checkNetworkModeConflicts("container:", {}, {}, {}),
      "Invalid network mode: invalid container format container:<name|id>",
    );
    // Empty values are what clients send when a flag is not given.
    checkNetworkModeConflicts(
      mode,
      { Hostname: "", MacAddress: "", ExposedPorts: {} },
      { Dns: [], ExtraHosts: null, PortBindings: {}, PublishAllPorts: false, Links: null },
      { [mode]: { MacAddress: "" } },
    );
  });

  test("host mode refuses links and a MAC; bridge modes take everything", () => {
    refused(
      () => checkNetworkModeConflicts("host", {}, { Links: ["a:b"] }, {}),
      "conflicting options: host type networking can't be used with links. This would result in undefined behavior",
    );
    refused(
      () => checkNetworkModeConflicts("host", { MacAddress: "02:42:ac:11:00:02" }, {}, {}),
      "conflicting options: mac-address and the network mode",
    );
    checkNetworkModeConflicts(
      "default",
      { Hostname: "x", MacAddress: "02:42:ac:11:00:02", ExposedPorts: { "80/tcp": {} } },
      { Dns: ["1.1.1.1"], ExtraHosts: ["a:1.2.3.4"], Links: ["a:b"], PublishAllPorts: true },
      {},
    );
  });

  test("host mode warns that published ports are discarded", () => {
    assert.deepEqual(
      networkModeWarnings({ NetworkMode: "host", PortBindings: { "80/tcp": [{ HostPort: "80" }] } }),
      ["Published ports are discarded when using host network mode"],
    );
    assert.deepEqual(networkModeWarnings({ NetworkMode: "host", PortBindings: {} }), []);
    assert.deepEqual(networkModeWarnings({ NetworkMode: "default", PortBindings: { "80/tcp": [{}] } }), []);
  });
});
