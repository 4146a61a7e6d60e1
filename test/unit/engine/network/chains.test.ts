// Chain naming per daemon and the CNI portmap cleanup batch: pure logic, no root needed.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { chainNames, networkRules } from "../../../../src/engine/network/firewall.ts";
import { portmapCleanup } from "../../../../src/engine/network/portmap-chains.ts";

describe("per-daemon chain names", () => {
  test("the default daemon keeps Docker-like names; others get their bridge in every name", () => {
    assert.deepEqual(chainNames("wharf0"), {
      forward: "WHARF-FORWARD",
      isolation1: "WHARF-ISOLATION-STAGE-1",
      isolation2: "WHARF-ISOLATION-STAGE-2",
      postrouting: "WHARF-POSTROUTING",
    });
    const a = Object.values(chainNames("wt0123abcd"));
    const b = Object.values(chainNames("wt0123abce"));
    assert.ok(a.every((c) => c.includes("wt0123abcd")));
    assert.equal(new Set([...a, ...b]).size, 8);
  });

  test("names fit iptables' 28 characters even for a 15-character bridge", () => {
    for (const c of Object.values(chainNames("abcdefghijklmno"))) assert.ok(c.length <= 28, c);
  });

  test("a daemon's network rules live in that daemon's chains", () => {
    const chains = chainNames("wt0123abcd");
    const rules = networkRules({ bridge: "br-q", subnet: "10.9.3.0/24", internal: false }, chains);
    const used = new Set(rules.map((r) => r.chain));
    assert.deepEqual(
      [...used].sort(),
      [chains.forward, chains.isolation1, chains.isolation2, chains.postrouting].sort(),
    );
    assert.ok(rules.some((r) => r.rule.at(-1) === chains.isolation2));
  });
});

const idle = [
  "-P PREROUTING ACCEPT",
  "-P POSTROUTING ACCEPT",
  "-N CNI-HOSTPORT-DNAT",
  "-N CNI-HOSTPORT-MASQ",
  "-N CNI-HOSTPORT-SETMARK",
  "-N DOCKER",
  "-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
  "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER",
  "-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
  '-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ',
  "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE",
  "-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE",
  '-A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000',
];

describe("CNI portmap cleanup", () => {
  test("idle chains: portmap's base rules and hooks go, then the chains; nothing else", () => {
    assert.deepEqual(portmapCleanup(idle), [
      "-D PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
      "-D OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
      '-D POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ',
      "-D CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE",
      '-D CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000',
      "-X CNI-HOSTPORT-DNAT",
      "-X CNI-HOSTPORT-MASQ",
      "-X CNI-HOSTPORT-SETMARK",
    ]);
  });

  test("a published port (a rule in CNI-HOSTPORT-DNAT) keeps everything", () => {
    assert.equal(portmapCleanup([...idle, "-N CNI-DN-1", "-A CNI-HOSTPORT-DNAT -p tcp -j CNI-DN-1"]), null);
  });

  test("no chains, no batch; a jump from another chain is left for the kernel to refuse", () => {
    assert.equal(portmapCleanup(["-P PREROUTING ACCEPT", "-N DOCKER"]), null);
    const batch = portmapCleanup([...idle, "-N OTHER", "-A OTHER -j CNI-HOSTPORT-SETMARK"]) ?? [];
    assert.ok(!batch.some((l) => l.includes("OTHER")));
  });
});
