// IPAM arithmetic, port requests and firewall rule sets: pure logic, no root needed.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { networkRules } from "../../../../src/engine/network/firewall.ts";
import {
  allocate,
  allocate6,
  contains,
  formatCidr,
  formatIPv4,
  formatIPv6,
  macFromIPv4,
  overlaps,
  parseCidr,
  parseCidr6,
  parseIPv4,
  parseIPv6,
  pickSubnet,
} from "../../../../src/engine/network/ipam.ts";
import { portRequests } from "../../../../src/engine/network/ports.ts";

const cidr = (s: string) => {
  const c = parseCidr(s);
  assert.ok(c, s);
  return c;
};

describe("ipam", () => {
  test("CIDR parsing masks host bits and refuses bad input", () => {
    assert.equal(formatCidr(cidr("10.1.2.3/24")), "10.1.2.0/24");
    assert.equal(formatCidr(cidr("0.0.0.0/0")), "0.0.0.0/0");
    for (const bad of ["10.1.2.0/33", "10.1.2/24", "300.1.1.1/8", "10.0.0.1", "bad", "10.0.0.0/"]) {
      assert.equal(parseCidr(bad), undefined, bad);
    }
    assert.equal(formatIPv4(parseIPv4("255.255.255.255") ?? 0), "255.255.255.255");
  });

  test("containment and overlap", () => {
    assert.ok(contains(cidr("10.0.0.0/8"), parseIPv4("10.200.1.1") ?? 0));
    assert.ok(!contains(cidr("10.0.0.0/24"), parseIPv4("10.0.1.1") ?? 0));
    assert.ok(overlaps(cidr("10.0.0.0/8"), cidr("10.5.0.0/16")));
    assert.ok(overlaps(cidr("10.5.0.0/16"), cidr("10.0.0.0/8")));
    assert.ok(!overlaps(cidr("10.0.0.0/24"), cidr("10.0.1.0/24")));
  });

  test("pickSubnet skips used subnets and exhausted pools", () => {
    const pools = [
      { base: "10.209.0.0/16", size: 24 },
      { base: "10.210.0.0/23", size: 24 },
    ];
    assert.equal(formatCidr(pickSubnet(pools, []) ?? cidr("1.1.1.1/32")), "10.209.0.0/24");
    const used = [cidr("10.209.0.0/24"), cidr("10.209.1.128/25")];
    assert.equal(formatCidr(pickSubnet(pools, used) ?? cidr("1.1.1.1/32")), "10.209.2.0/24");
    // A /8 route covering the whole first pool sends us to the second.
    assert.equal(
      formatCidr(pickSubnet(pools, [cidr("10.209.0.0/16")]) ?? cidr("1.1.1.1/32")),
      "10.210.0.0/24",
    );
    assert.equal(pickSubnet(pools, [cidr("10.0.0.0/8")]), undefined);
  });

  test("allocate: lowest free address in the range, never network, broadcast, gateway or reserved", () => {
    const subnet = cidr("10.1.0.0/29");
    const gateway = parseIPv4("10.1.0.1") ?? 0;
    const pool = { subnet, range: subnet, gateway, reserved: [parseIPv4("10.1.0.2") ?? 0] };
    const taken = new Set<number>();
    const got: string[] = [];
    for (;;) {
      const ip = allocate(pool, taken);
      if (ip === undefined) break;
      taken.add(ip);
      got.push(formatIPv4(ip));
    }
    assert.deepEqual(got, ["10.1.0.3", "10.1.0.4", "10.1.0.5", "10.1.0.6"]);
    const ranged = { ...pool, range: cidr("10.1.0.4/30"), reserved: [] };
    assert.equal(formatIPv4(allocate(ranged, new Set()) ?? 0), "10.1.0.4");
  });

  test("MAC addresses follow Docker's 02:42 + IPv4 scheme", () => {
    assert.equal(macFromIPv4(parseIPv4("172.17.0.2") ?? 0), "02:42:ac:11:00:02");
  });
});

describe("ipam (IPv6)", () => {
  test("parse and format round-trip in RFC 5952 form", () => {
    for (const [text, want] of [
      ["fd00::1", "fd00::1"],
      ["FD00:0:0:0:0:0:0:1", "fd00::1"],
      ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
      ["::", "::"],
      ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    ]) {
      assert.equal(formatIPv6(parseIPv6(text as string) ?? -1n), want, text);
    }
    for (const bad of ["fd00:::1", "1:2:3:4:5:6:7:8:9", "g::1", "1::2::3"])
      assert.equal(parseIPv6(bad), undefined, bad);
  });

  test("allocation skips the subnet address and the gateway", () => {
    const subnet = parseCidr6("fd00:1::/64");
    assert.ok(subnet);
    const gw = subnet.base + 1n;
    const first = allocate6(subnet, gw, new Set());
    assert.equal(formatIPv6(first ?? 0n), "fd00:1::2");
    assert.equal(formatIPv6(allocate6(subnet, gw, new Set([first ?? 0n])) ?? 0n), "fd00:1::3");
  });
});

describe("port requests", () => {
  test("bindings, ranges, protocols and -P", () => {
    const reqs = portRequests(
      {
        PortBindings: {
          "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "8080" }],
          "53/udp": [{ HostPort: "5300-5310" }],
        },
        PublishAllPorts: true,
      },
      { "80/tcp": {}, "443/tcp": {} },
    );
    assert.deepEqual(reqs, [
      { hostIP: "", hostPorts: [5300, 5310], containerPort: 53, protocol: "udp" },
      { hostIP: "127.0.0.1", hostPorts: [8080, 8080], containerPort: 80, protocol: "tcp" },
      { hostIP: "", hostPorts: [0, 0], containerPort: 443, protocol: "tcp" },
    ]);
    // "0" asks for any port, as "" does (Testcontainers sends it).
    assert.deepEqual(portRequests({ PortBindings: { "80/tcp": [{ HostPort: "0" }] } }, {}), [
      { hostIP: "", hostPorts: [0, 0], containerPort: 80, protocol: "tcp" },
    ]);
    assert.throws(() => portRequests({ PortBindings: { "99999/tcp": [] } }, {}), /invalid port/);
    assert.throws(() => portRequests({ PortBindings: { "80/icmp": [] } }, {}), /invalid proto/);
    assert.throws(
      () => portRequests({ PortBindings: { "80/tcp": [{ HostPort: "9-1" }] } }, {}),
      /invalid port/,
    );
  });
});

describe("firewall rules", () => {
  test("a network's rules all carry its comment; internal networks get no masquerade or accept", () => {
    const open = networkRules({ bridge: "br-x", subnet: "10.9.0.0/24", internal: false });
    assert.ok(open.every((r) => r.rule.join(" ").includes("wharf:br-x")));
    assert.ok(open.some((r) => r.table === "nat" && r.rule.includes("MASQUERADE")));
    const internal = networkRules({ bridge: "br-y", subnet: "10.9.1.0/24", internal: true });
    assert.ok(!internal.some((r) => r.rule.includes("MASQUERADE") || r.rule.includes("ACCEPT")));
    assert.equal(internal.filter((r) => r.rule.includes("DROP")).length, 3);
  });

  test("an IPv6 subnet adds the same rules in ip6tables, masquerading that subnet", () => {
    for (const internal of [false, true]) {
      const v4only = networkRules({ bridge: "br-z", subnet: "10.9.2.0/24", internal });
      assert.ok(v4only.every((r) => r.family === 4));
      const both = networkRules({
        bridge: "br-z",
        subnet: "10.9.2.0/24",
        subnet6: "fd12:3456:789a:1::/64",
        internal,
      });
      const v6 = both.filter((r) => r.family === 6);
      const shape = (r: (typeof both)[number]) =>
        [
          r.table,
          r.chain,
          r.first ?? false,
          r.rule.join(" ").replace("fd12:3456:789a:1::/64", "SUBNET"),
        ].join("|");
      assert.deepEqual(
        v6.map(shape),
        v4only.map((r) => shape({ ...r, rule: r.rule.map((a) => (a === "10.9.2.0/24" ? "SUBNET" : a)) })),
      );
      assert.equal(
        v6.some((r) => r.rule.includes("fd12:3456:789a:1::/64")),
        !internal,
      );
    }
  });
});
