// IPv6 on user networks against a real wharfd: wharf's chains and per-network rules in ip6tables,
// isolation between networks and no way out of --internal ones over IPv6, every rule gone after
// removal. All traffic stays on this host (test-created ULA subnets only).
import assert from "node:assert/strict";
import { execFile, execFileSync, spawn } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type ChainNames, chainNames } from "../../../src/engine/network/firewall.ts";
import { isRoot, startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { importBusybox } from "../../helpers/images.ts";

const skip = (!isRoot() && "needs root") || (process.env.WHARF_TEST_SOCKET && "needs a wharfd of its own");

const uniq = () => randomBytes(3).toString("hex");

/** A ULA /48 of this run's own (fdXX:XXXX:XXXX::, never the host's fd00::/64). */
function ulaPrefix(): string {
  const group = () => (0x1000 + randomInt(0, 0xefff)).toString(16); // canonical: no leading zero
  return `fd${(0x10 + randomInt(0, 0xef)).toString(16)}:${group()}:${group()}`;
}

/** `ip6tables -S -v` of a table: every rule with its counters (`-A CHAIN -c pkts bytes ...`). */
function ip6RulesCounted(table: "filter" | "nat"): string[] {
  return execFileSync("ip6tables", ["-w", "5", "-t", table, "-S", "-v"], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l.startsWith("-A "));
}

/** The rules of a table as `ip6tables -S` prints them. */
function ip6Rules(table: "filter" | "nat"): string[] {
  return ip6RulesCounted(table).map((r) => r.replace(/ -c \d+ \d+/, ""));
}

function tagged(bridge: string): string[] {
  return [...ip6Rules("filter"), ...ip6Rules("nat")].filter((r) => r.includes(`"wharf:${bridge}"`));
}

/** The daemon's own iptables chains (named after its default bridge). */
async function chainsOf(d: TestDaemon): Promise<ChainNames> {
  const n = await d.api.ok<{ Options: Record<string, string> }>("GET", "/networks/bridge");
  return chainNames(n.Options["com.docker.network.bridge.name"] ?? "");
}

/** Packets the stage-2 DROP rule of a bridge has dropped so far. */
function stage2Drops(chains: ChainNames, bridge: string): number {
  const rule = ip6RulesCounted("filter").find(
    (r) => r.startsWith(`-A ${chains.isolation2} `) && r.includes(`"wharf:${bridge}"`),
  );
  assert.ok(rule, `no stage-2 rule for ${bridge}`);
  const m = / -c (\d+) \d+/.exec(rule);
  assert.ok(m, rule);
  return Number(m[1]);
}

function ip(args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

/** Runs `fn` while a namespace with `inner` on a veth is reachable from the host at `hostSide`. */
async function withOutsideNamespace(hostSide: string, inner: string, fn: () => Promise<void>): Promise<void> {
  const id = uniq();
  const [ns, hostIf, nsIf] = [`wt6out-${id}`, `w6h${id}`, `w6n${id}`];
  ip(["netns", "add", ns]);
  try {
    ip(["link", "add", hostIf, "type", "veth", "peer", "name", nsIf]);
    ip(["link", "set", nsIf, "netns", ns]);
    ip(["-6", "addr", "add", hostSide, "dev", hostIf, "nodad"]);
    ip(["link", "set", hostIf, "up"]);
    ip(["-n", ns, "-6", "addr", "add", inner, "dev", nsIf, "nodad"]);
    ip(["-n", ns, "link", "set", nsIf, "up"]);
    // Back through the host for any source, so only the firewall decides.
    ip(["-n", ns, "-6", "route", "add", "default", "via", hostSide.split("/")[0]!]);
    await fn();
  } finally {
    ip(["netns", "del", ns]); // takes the veth pair with it
  }
}

describe("IPv6 user networks: ip6tables isolation", { skip }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
    await importBusybox(d.api);
  });
  after(async () => {
    await d?.stop();
  });

  const sleeper = (net: string) => ({
    Image: "busybox",
    Cmd: ["sleep", "300"],
    HostConfig: { NetworkMode: net },
  });

  async function exec(id: string, cmd: string[]): Promise<{ code: number; out: string }> {
    const pid = (await d.api.ok<{ State: { Pid: number } }>("GET", `/containers/${id}/json`)).State.Pid;
    return new Promise((resolve) => {
      execFile(
        "nsenter",
        ["-t", String(pid), "-m", "-u", "-i", "-n", "-p", "--", ...cmd],
        { encoding: "utf8", timeout: 20_000 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
          resolve({ code, out: stdout + stderr });
        },
      );
    });
  }

  async function ipv6Of(id: string, net: string): Promise<string> {
    const info = await d.api.ok<{
      NetworkSettings: { Networks: Record<string, { GlobalIPv6Address: string }> };
    }>("GET", `/containers/${id}/json`);
    const ip = info.NetworkSettings.Networks[net]?.GlobalIPv6Address;
    assert.ok(ip, `no IPv6 address on ${net}`);
    return ip;
  }

  async function network(name: string, subnet: string, internal = false): Promise<string> {
    const { Id } = await d.api.ok<{ Id: string }>("POST", "/networks/create", {
      Name: name,
      EnableIPv6: true,
      Internal: internal,
      IPAM: { Config: [{ Subnet: subnet }] },
    });
    return `br-${Id.slice(0, 12)}`;
  }

  /** ping -6 and a TCP connection (busybox nc) from one container to an address. */
  async function reach(from: string, ip: string): Promise<{ ping: boolean; tcp: boolean; out: string }> {
    const ping = await exec(from, ["ping", "-6", "-c", "1", "-W", "2", ip]);
    const tcp = await exec(from, ["sh", "-c", `echo hi | nc -w 2 ${ip} 7777`]);
    return { ping: ping.code === 0, tcp: tcp.code === 0, out: ping.out + tcp.out };
  }

  test("two IPv6 networks are isolated from each other; --internal has no IPv6 way out; rules go with them", async () => {
    const prefix = ulaPrefix();
    const [netA, netB, netI] = [`v6a-${uniq()}`, `v6b-${uniq()}`, `v6i-${uniq()}`];
    const brA = await network(netA, `${prefix}:1::/64`);
    const brB = await network(netB, `${prefix}:2::/64`);
    const brI = await network(netI, `${prefix}:3::/64`, true);
    const c = await chainsOf(d);

    // The same rule set as in iptables, in ip6tables, tagged with the bridge.
    for (const br of [brA, brB]) {
      const rules = tagged(br);
      assert.ok(
        rules.some((r) => r.startsWith(`-A ${c.isolation1} -i ${br} ! -o ${br} `)),
        rules.join("\n"),
      );
      assert.ok(
        rules.some((r) => r.startsWith(`-A ${c.isolation2} -o ${br} `)),
        rules.join("\n"),
      );
      assert.equal(rules.filter((r) => r.startsWith(`-A ${c.forward} `)).length, 3, rules.join("\n"));
      const subnet = br === brA ? `${prefix}:1::/64` : `${prefix}:2::/64`;
      assert.ok(
        rules.some(
          (r) => r.startsWith(`-A ${c.postrouting} -s ${subnet} ! -o ${br} `) && r.includes("MASQUERADE"),
        ),
        rules.join("\n"),
      );
    }
    const internalRules = tagged(brI);
    assert.equal(internalRules.filter((r) => r.includes("-j DROP")).length, 3, internalRules.join("\n"));
    assert.ok(
      !internalRules.some((r) => r.includes("MASQUERADE") || r.includes("ACCEPT")),
      internalRules.join("\n"),
    );
    // The hooks into the built-in chains exist.
    assert.ok(ip6Rules("filter").some((r) => r.startsWith(`-A FORWARD -j ${c.forward}`)));
    assert.ok(ip6Rules("nat").some((r) => r.startsWith(`-A POSTROUTING -j ${c.postrouting}`)));
    // The host routes IPv6 between the bridges, so only the rules stand between them.
    assert.equal(readFileSync("/proc/sys/net/ipv6/conf/all/forwarding", "utf8").trim(), "1");

    const a1 = await d.api.run(sleeper(netA));
    const a2 = await d.api.run(sleeper(netA));
    const b1 = await d.api.run(sleeper(netB));
    const i1 = await d.api.run(sleeper(netI));
    // TCP listeners on port 7777 (they die with the container's PID namespace), up before use.
    for (const id of [a1, b1]) {
      const pid = (await d.api.ok<{ State: { Pid: number } }>("GET", `/containers/${id}/json`)).State.Pid;
      // No pipes and unref'd: should the container outlive a failed cleanup, this nsenter (which
      // waits for its nc) must not keep the test file alive.
      spawn("nsenter", ["-t", String(pid), "-m", "-n", "-p", "--", "nc", "-ll", "-p", "7777", "-e", "true"], {
        stdio: "ignore",
      }).unref();
      let up = false;
      for (let i = 0; i < 50 && !up; i++) {
        up = (await exec(id, ["nc", "-w", "1", "::1", "7777"])).code === 0;
        if (!up) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(up, "the TCP listener did not come up");
    }
    const ipA1 = await ipv6Of(a1, netA);
    const ipB1 = await ipv6Of(b1, netB);

    // Same network: reachable.
    const same = await reach(a2, ipA1);
    assert.ok(same.ping && same.tcp, same.out);

    // Across networks: routed (both have a default route via their gateway) but dropped.
    assert.match((await exec(a1, ["ip", "-6", "route"])).out, /^default via/m);
    const before = stage2Drops(c, brB);
    const across = await reach(a1, ipB1);
    assert.ok(!across.ping && !across.tcp, `a container on ${netA} reached one on ${netB}: ${across.out}`);
    assert.ok(stage2Drops(c, brB) > before, "the stage-2 DROP rule did not see the traffic");
    const back = await reach(b1, ipA1);
    assert.ok(!back.ping && !back.tcp, back.out);

    // --internal: no default route; and even with one added by hand, nothing leaves the bridge.
    assert.doesNotMatch((await exec(i1, ["ip", "-6", "route"])).out, /^default/m);
    const gwI = `${prefix}:3::1`;
    const added = await exec(i1, ["ip", "-6", "route", "add", "default", "via", gwI]);
    assert.equal(added.code, 0, added.out);
    const out = await reach(i1, ipA1);
    assert.ok(!out.ping && !out.tcp, `an --internal container reached ${netA}: ${out.out}`);

    // "Outside" is a network namespace of the test's own behind a veth on this host (not a
    // wharf bridge), routing back through the host: a normal network gets there (masqueraded),
    // an --internal one does not.
    const outside = `${prefix}:9::2`;
    await withOutsideNamespace(`${prefix}:9::1/64`, `${outside}/64`, async () => {
      const viaA = await exec(a1, ["ping", "-6", "-c", "1", "-W", "2", outside]);
      assert.equal(viaA.code, 0, viaA.out);
      const viaI = await exec(i1, ["ping", "-6", "-c", "1", "-W", "2", outside]);
      assert.notEqual(viaI.code, 0, `an --internal container got out over IPv6: ${viaI.out}`);
    });

    for (const id of [a1, a2, b1, i1]) await d.api.ok("DELETE", `/containers/${id}?force=1`);
    for (const n of [netA, netB, netI]) await d.api.ok("DELETE", `/networks/${n}`);
    for (const br of [brA, brB, brI])
      assert.deepEqual(tagged(br), [], `ip6tables rules of ${br} outlived it`);
  });
});

describe("IPv6 user networks without ip6tables", { skip }, () => {
  let d: TestDaemon;
  // A PATH whose ip6tables fails the way it does on a kernel without ip6_tables.
  const shim = mkdtempSync("/tmp/wharf-no-ip6tables-");
  before(async () => {
    writeFileSync(
      join(shim, "ip6tables"),
      "#!/bin/sh\necho 'ip6tables: Protocol not supported (test)' >&2\nexit 3\n",
    );
    chmodSync(join(shim, "ip6tables"), 0o755);
    d = await startDaemon([], { PATH: `${shim}:${process.env.PATH ?? ""}` });
  });
  after(async () => {
    await d?.stop();
    rmSync(shim, { recursive: true, force: true });
  });

  test("the daemon logs it once and IPv6 networks still work, with their IPv4 rules", async () => {
    const name = `v6n-${uniq()}`;
    const subnet = `${ulaPrefix()}:1::/64`;
    const { Id } = await d.api.ok<{ Id: string }>("POST", "/networks/create", {
      Name: name,
      EnableIPv6: true,
      IPAM: { Config: [{ Subnet: subnet }] },
    });
    const bridge = `br-${Id.slice(0, 12)}`;
    const v4 = execFileSync("iptables", ["-w", "5", "-S"], { encoding: "utf8" });
    assert.match(v4, new RegExp(`-A ${(await chainsOf(d)).isolation2} -o ${bridge} `));
    assert.deepEqual(tagged(bridge), []);
    const warnings = d
      .logs()
      .split("\n")
      .filter((l) => l.includes("ip6tables unavailable"));
    assert.equal(warnings.length, 1, d.logs());
    await d.api.ok("DELETE", `/networks/${Id}`);
  });
});
