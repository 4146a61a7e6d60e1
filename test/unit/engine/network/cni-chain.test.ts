// The CNI chain of an endpoint: which published ports portmap gets.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { endpointChain } from "../../../../src/engine/network/cni-chain.ts";
import type { EndpointRecord, NetworkRecord } from "../../../../src/engine/network/store.ts";

const network = {
  id: "a".repeat(64),
  name: "n",
  bridge: "br-test",
  mtu: 1500,
  ipamConfig: [{ Subnet: "10.9.0.0/24", Gateway: "10.9.0.1" }],
} as unknown as NetworkRecord;

const endpoint = (ports: EndpointRecord["ports"]) =>
  ({
    ipv4: "10.9.0.2",
    prefixLen: 24,
    gateway: "10.9.0.1",
    mac: "02:42:0a:09:00:02",
    ports,
  }) as unknown as EndpointRecord;

describe("endpoint CNI chain", () => {
  test("portmap gets the NATed bindings; the relay-only [::] twin and SCTP stay out", () => {
    const chain = endpointChain(
      network,
      endpoint([
        { hostIP: "", hostPort: 8080, containerPort: 80, protocol: "tcp" },
        { hostIP: "::", hostPort: 8080, containerPort: 80, protocol: "tcp", relayOnly: true },
        { hostIP: "127.0.0.1", hostPort: 5353, containerPort: 53, protocol: "udp" },
        { hostIP: "", hostPort: 9999, containerPort: 9999, protocol: "sctp" },
      ]),
    );
    assert.deepEqual(chain.plugins[1]?.runtimeConfig, {
      portMappings: [
        { hostPort: 8080, containerPort: 80, protocol: "tcp" },
        { hostPort: 5353, containerPort: 53, protocol: "udp", hostIP: "127.0.0.1" },
      ],
    });
  });

  test("no published port, no portmap", () => {
    const only = endpointChain(
      network,
      endpoint([{ hostIP: "::", hostPort: 8080, containerPort: 80, protocol: "tcp", relayOnly: true }]),
    );
    assert.deepEqual(
      only.plugins.map((p) => p.type),
      ["bridge"],
    );
  });
});
