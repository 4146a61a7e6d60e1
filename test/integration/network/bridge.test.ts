// Bridge networking against a real wharfd: the default network, user networks with DNS,
// isolation, --internal, published ports, connect/disconnect. All traffic stays on this host.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import dnsPacket from "dns-packet";
import { isRoot, startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { importBusybox } from "../../helpers/images.ts";

const skip = !isRoot() && "needs root";

interface NetInspect {
  Id: string;
  Name: string;
  Driver: string;
  Internal: boolean;
  IPAM: { Config: Array<{ Subnet: string; Gateway: string; IPRange?: string }> };
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string }>;
  Labels: Record<string, string>;
  Options: Record<string, string>;
}

interface CtrInspect {
  Id: string;
  NetworkSettings: {
    IPAddress: string;
    Gateway: string;
    SandboxKey: string;
    Ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null>;
    Networks: Record<
      string,
      { IPAddress: string; EndpointID: string; MacAddress: string; Aliases: string[] | null }
    >;
  };
}

const uniq = () => randomBytes(3).toString("hex");

describe("bridge networking", { skip }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
    await importBusybox(d.api);
  });
  after(async () => {
    await d?.stop();
  });

  const sleeper = (extra: Record<string, unknown> = {}) => ({
    Image: "busybox",
    Cmd: ["sleep", "300"],
    ...extra,
  });

  /** Runs a command inside a running container's namespaces (the engine's exec is another issue). */
  async function exec(id: string, cmd: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const pid = (await d.api.ok<{ State: { Pid: number } }>("GET", `/containers/${id}/json`)).State.Pid;
    return new Promise((resolve) => {
      execFile(
        "nsenter",
        ["-t", String(pid), "-m", "-u", "-i", "-n", "-p", "--", ...cmd],
        { encoding: "utf8", timeout: 20_000 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  async function inspect(id: string): Promise<CtrInspect> {
    return d.api.ok<CtrInspect>("GET", `/containers/${id}/json`);
  }

  async function createNetwork(body: Record<string, unknown>): Promise<string> {
    const res = await d.api.ok<{ Id: string }>("POST", "/networks/create", body);
    return res.Id;
  }

  test("predefined networks are listed; the default bridge has a subnet and gateway", async () => {
    const list = await d.api.ok<NetInspect[]>("GET", "/networks");
    const names = list.map((n) => n.Name).sort();
    for (const n of ["bridge", "host", "none"]) assert.ok(names.includes(n), `missing ${n}`);
    const bridge = await d.api.ok<NetInspect>("GET", "/networks/bridge");
    assert.equal(bridge.Driver, "bridge");
    assert.match(bridge.IPAM.Config[0]?.Subnet ?? "", /^\d+\.\d+\.\d+\.\d+\/\d+$/);
    assert.match(bridge.IPAM.Config[0]?.Gateway ?? "", /^\d+\.\d+\.\d+\.\d+$/);
  });

  test("default network: an address, a default route via the gateway, no name resolution", async () => {
    const id = await d.api.run(sleeper());
    const info = await inspect(id);
    const ep = info.NetworkSettings.Networks.bridge;
    assert.ok(ep, "attached to bridge");
    assert.match(ep.IPAddress, /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(info.NetworkSettings.IPAddress, ep.IPAddress);
    assert.ok(info.NetworkSettings.SandboxKey);
    const route = await exec(id, ["ip", "route"]);
    assert.match(
      route.stdout,
      new RegExp(`default via ${info.NetworkSettings.Gateway.replace(/\./g, "\\.")}`),
    );
    const ping = await exec(id, ["ping", "-c", "1", "-W", "2", info.NetworkSettings.Gateway]);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    const net = await d.api.ok<NetInspect>("GET", "/networks/bridge");
    assert.equal(net.Containers[id]?.IPv4Address.split("/")[0], ep.IPAddress);
    assert.equal(net.Containers[id]?.EndpointID, ep.EndpointID);
    await d.api.ok("DELETE", `/containers/${id}?force=1`);
    const after = await d.api.ok<NetInspect>("GET", "/networks/bridge");
    assert.equal(after.Containers[id], undefined);
  });

  test("user network: names, aliases (round robin) and short IDs resolve; another network's do not", async () => {
    const net = `n-${uniq()}`;
    const other = `o-${uniq()}`;
    await createNetwork({ Name: net, CheckDuplicate: true });
    await createNetwork({ Name: other });
    const a = `a-${uniq()}`;
    const b = `b-${uniq()}`;
    const c = `c-${uniq()}`;
    const stranger = `s-${uniq()}`;
    const alias = { EndpointsConfig: { [net]: { Aliases: ["svc"] } } };
    // --dns 127.0.0.1: names the embedded server does not know go to this host's loopback only.
    const idA = await d.api.run(sleeper({ HostConfig: { NetworkMode: net, Dns: ["127.0.0.1"] } }), a);
    const idB = await d.api.run(sleeper({ HostConfig: { NetworkMode: net }, NetworkingConfig: alias }), b);
    const idC = await d.api.run(sleeper({ HostConfig: { NetworkMode: net }, NetworkingConfig: alias }), c);
    await d.api.run(sleeper({ HostConfig: { NetworkMode: other } }), stranger);
    const ipB = (await inspect(idB)).NetworkSettings.Networks[net]?.IPAddress;
    const ipC = (await inspect(idC)).NetworkSettings.Networks[net]?.IPAddress;

    const ping = await exec(idA, ["ping", "-c", "1", "-W", "2", b]);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    assert.match(ping.stdout, new RegExp(`\\(${ipB?.replace(/\./g, "\\.")}\\)`));
    const short = await exec(idA, ["nslookup", idC.slice(0, 12)]);
    assert.match(short.stdout, new RegExp(ipC?.replace(/\./g, "\\.") ?? "x"));

    const seenFirst = new Set<string>();
    for (let i = 0; i < 12 && seenFirst.size < 2; i++) {
      const r = await exec(idA, ["nslookup", "svc"]);
      const addrs = [...r.stdout.matchAll(/Address: (\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1] as string);
      assert.deepEqual([...addrs].sort(), [ipB, ipC].sort(), r.stdout);
      seenFirst.add(addrs[0] as string);
    }
    assert.equal(seenFirst.size, 2, "alias answers rotate between both containers");

    const cross = await exec(idA, ["nslookup", stranger]);
    assert.notEqual(cross.code, 0, cross.stdout);
    const resolv = await exec(idA, ["cat", "/etc/resolv.conf"]);
    const gw = (await d.api.ok<NetInspect>("GET", `/networks/${net}`)).IPAM.Config[0]?.Gateway;
    assert.match(resolv.stdout, new RegExp(`^nameserver ${gw?.replace(/\./g, "\\.")}$`, "m"));

    // The same server answers over TCP (clients retry there after a truncated UDP answer).
    const tcpAnswer = await new Promise<string[]>((resolve, reject) => {
      const conn = connect({ host: gw ?? "", port: 53 });
      let buf = Buffer.alloc(0);
      conn.on("error", reject);
      conn.on("connect", () =>
        conn.write(dnsPacket.streamEncode({ type: "query", id: 7, questions: [{ type: "A", name: b }] })),
      );
      conn.on("data", (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          conn.destroy();
          resolve(
            (dnsPacket.streamDecode(buf).answers ?? []).map((x) => ("data" in x ? String(x.data) : "")),
          );
        }
      });
    });
    assert.deepEqual(tcpAnswer, [ipB]);

    // HTTP by name: busybox httpd in b, wget from a.
    await exec(idB, [
      "sh",
      "-c",
      "mkdir -p /www && echo hi-from-b > /www/index.html && httpd -p 8080 -h /www",
    ]);
    const wget = await exec(idA, ["timeout", "10", "wget", "-qO-", `http://${b}:8080/`]);
    assert.equal(wget.stdout, "hi-from-b\n", wget.stderr);
  });

  test("containers started in parallel get distinct addresses and all attach", async () => {
    const net = `par-${uniq()}`;
    await createNetwork({ Name: net });
    const ids = await Promise.all(
      Array.from({ length: 6 }, () => d.api.run(sleeper({ HostConfig: { NetworkMode: net } }))),
    );
    const ips = await Promise.all(
      ids.map(async (id) => (await inspect(id)).NetworkSettings.Networks[net]?.IPAddress),
    );
    assert.equal(new Set(ips).size, 6, JSON.stringify(ips));
    const ping = await exec(ids[0] as string, ["ping", "-c", "1", "-W", "2", ips[5] as string]);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    await Promise.all(ids.map((id) => d.api.ok("DELETE", `/containers/${id}?force=1`)));
    const after = await d.api.ok<NetInspect>("GET", `/networks/${net}`);
    assert.deepEqual(after.Containers, {});
  });

  test("isolation: containers on different user networks cannot reach each other", async () => {
    const n1 = `i1-${uniq()}`;
    const n2 = `i2-${uniq()}`;
    await createNetwork({ Name: n1 });
    await createNetwork({ Name: n2 });
    const x = await d.api.run(sleeper({ HostConfig: { NetworkMode: n1 } }));
    const y = await d.api.run(sleeper({ HostConfig: { NetworkMode: n2 } }));
    const ipY = (await inspect(y)).NetworkSettings.Networks[n2]?.IPAddress ?? "";
    const ping = await exec(x, ["ping", "-c", "1", "-W", "1", ipY]);
    assert.notEqual(ping.code, 0, "cross-network ping must fail");
  });

  test("--internal: no default route; still reachable inside the network", async () => {
    const net = `int-${uniq()}`;
    await createNetwork({ Name: net, Internal: true });
    const info = await d.api.ok<NetInspect>("GET", `/networks/${net}`);
    assert.equal(info.Internal, true);
    const a = await d.api.run(sleeper({ HostConfig: { NetworkMode: net } }));
    const b = await d.api.run(sleeper({ HostConfig: { NetworkMode: net } }));
    const routes = await exec(a, ["ip", "route"]);
    assert.doesNotMatch(routes.stdout, /default/);
    const ipB = (await inspect(b)).NetworkSettings.Networks[net]?.IPAddress ?? "";
    const ping = await exec(a, ["ping", "-c", "1", "-W", "2", ipB]);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    // Names outside are not forwarded from an internal-only container (nothing leaves the host).
    const outside = await exec(a, ["nslookup", "example.com"]);
    assert.notEqual(outside.code, 0, outside.stdout);
  });

  test("published port on 127.0.0.1 answers from the host and, via the host address, from a container", async () => {
    const id = await d.api.run({
      Image: "busybox",
      Cmd: ["sh", "-c", "mkdir -p /www && echo published > /www/index.html && exec httpd -f -p 80 -h /www"],
      ExposedPorts: { "80/tcp": {} },
      HostConfig: { PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] } },
    });
    const info = await inspect(id);
    const binding = info.NetworkSettings.Ports["80/tcp"]?.[0];
    assert.ok(binding, JSON.stringify(info.NetworkSettings.Ports));
    assert.equal(binding.HostIp, "127.0.0.1");
    const port = Number(binding.HostPort);
    assert.ok(port > 0);
    let body = "";
    for (let i = 0; i < 50 && body === ""; i++) {
      body = await fetch(`http://127.0.0.1:${port}/`).then(
        (r) => r.text(),
        () => "",
      );
      if (body === "") await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(body, "published\n");

    // Hairpin: another container reaches the port through the host's address on all interfaces.
    const pub = await d.api.run({
      Image: "busybox",
      Cmd: ["sh", "-c", "mkdir -p /www && echo hairpin > /www/index.html && exec httpd -f -p 80 -h /www"],
      HostConfig: { PortBindings: { "80/tcp": [{ HostPort: "" }] } },
    });
    const hostPort = (await inspect(pub)).NetworkSettings.Ports["80/tcp"]?.[0]?.HostPort;
    const gw = (await inspect(pub)).NetworkSettings.Gateway;
    const client = await d.api.run(sleeper());
    const r = await exec(client, ["timeout", "10", "wget", "-qO-", `http://${gw}:${hostPort}/`]);
    assert.equal(r.stdout, "hairpin\n", r.stderr);

    const summary = await d.api.ok<
      Array<{ Id: string; Ports: Array<{ PublicPort?: number; PrivatePort: number }> }>
    >("GET", "/containers/json");
    assert.equal(summary.find((c) => c.Id === id)?.Ports[0]?.PublicPort, port);
  });

  test("a host port already in use fails the start cleanly", async () => {
    const first = await d.api.run({
      Image: "busybox",
      Cmd: ["sleep", "300"],
      HostConfig: { PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] } },
    });
    const port = (await inspect(first)).NetworkSettings.Ports["80/tcp"]?.[0]?.HostPort;
    const { Id } = await d.api.ok<{ Id: string }>("POST", "/containers/create", {
      Image: "busybox",
      Cmd: ["sleep", "300"],
      HostConfig: { PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: port }] } },
    });
    const res = await d.api.call("POST", `/containers/${Id}/start`);
    assert.equal(res.status, 500);
    assert.match(res.json<{ message: string }>().message, /port is already allocated/);
    const net = await d.api.ok<NetInspect>("GET", "/networks/bridge");
    assert.equal(net.Containers[Id], undefined, "no endpoint left");
    await d.api.ok("DELETE", `/containers/${Id}`);
  });

  test("connect and disconnect a running container: interfaces, /etc/hosts and DNS follow", async () => {
    const n1 = `c1-${uniq()}`;
    const n2 = `c2-${uniq()}`;
    await createNetwork({ Name: n1 });
    await createNetwork({
      Name: n2,
      IPAM: { Config: [{ Subnet: "10.231.77.0/24", Gateway: "10.231.77.1", IPRange: "10.231.77.128/25" }] },
      Labels: { purpose: "test" },
    });
    const peer = `peer-${uniq()}`;
    const peerId = await d.api.run(sleeper({ HostConfig: { NetworkMode: n2 } }), peer);
    const id = await d.api.run(sleeper({ HostConfig: { NetworkMode: n1 } }));
    assert.notEqual((await exec(id, ["nslookup", peer])).code, 0);

    await d.api.ok("POST", `/networks/${n2}/connect`, {
      Container: id,
      EndpointConfig: { IPAMConfig: { IPv4Address: "10.231.77.200" }, Aliases: ["second"] },
    });
    const info = await inspect(id);
    assert.equal(info.NetworkSettings.Networks[n2]?.IPAddress, "10.231.77.200");
    const links = await exec(id, ["ip", "-o", "addr"]);
    assert.match(links.stdout, /eth1 .*10\.231\.77\.200\/24/);
    const hosts = await exec(id, ["cat", "/etc/hosts"]);
    assert.match(hosts.stdout, /^10\.231\.77\.200\t/m);
    const lookup = await exec(id, ["nslookup", peer]);
    assert.equal(lookup.code, 0, lookup.stdout);
    const fromPeer = await exec(peerId, ["nslookup", "second"]);
    assert.match(fromPeer.stdout, /10\.231\.77\.200/);
    assert.ok((await d.api.ok<NetInspect>("GET", `/networks/${n2}`)).Containers[id]);

    const busy = await d.api.call("DELETE", `/networks/${n2}`);
    assert.equal(busy.status, 409);

    // Leaving the network that gave the default route hands it to the other one.
    await d.api.ok("POST", `/networks/${n1}/disconnect`, { Container: id });
    assert.match((await exec(id, ["ip", "route"])).stdout, /^default via 10\.231\.77\.1 dev eth1/m);
    await d.api.ok("POST", `/networks/${n1}/connect`, { Container: id });
    await d.api.ok("POST", `/networks/${n2}/disconnect`, { Container: id });
    assert.match((await exec(id, ["ip", "route"])).stdout, /^default via /m);
    const after = await inspect(id);
    assert.equal(after.NetworkSettings.Networks[n2], undefined);
    assert.doesNotMatch((await exec(id, ["ip", "-o", "addr"])).stdout, /eth1/);
    assert.doesNotMatch((await exec(id, ["cat", "/etc/hosts"])).stdout, /10\.231\.77\.200/);
  });

  test("a connect the kernel refuses leaves no interface, endpoint or lease behind", async () => {
    const net = `cf-${uniq()}`;
    await createNetwork({ Name: net });
    const id = await d.api.run(sleeper());
    // A multicast MAC passes the format check; the kernel refuses it for the veth.
    const res = await d.api.call("POST", `/networks/${net}/connect`, {
      Container: id,
      EndpointConfig: { MacAddress: "01:00:5e:00:00:01" },
    });
    assert.equal(res.status, 500);
    assert.match(res.json<{ message: string }>().message, /^failed to connect .* to /);
    assert.doesNotMatch((await exec(id, ["ip", "-o", "link"])).stdout, /eth1/);
    assert.deepEqual((await d.api.ok<NetInspect>("GET", `/networks/${net}`)).Containers, {});
    assert.equal((await inspect(id)).NetworkSettings.Networks[net], undefined);
    // The same container connects fine afterwards.
    await d.api.ok("POST", `/networks/${net}/connect`, { Container: id });
    assert.match((await exec(id, ["ip", "-o", "link"])).stdout, /eth1/);
  });

  test("bad input: overlapping subnet, invalid CIDR, gateway outside the subnet, duplicate name", async () => {
    const name = `bad-${uniq()}`;
    await createNetwork({ Name: name, IPAM: { Config: [{ Subnet: "10.231.90.0/24" }] } });
    const overlap = await d.api.call("POST", "/networks/create", {
      Name: `${name}-2`,
      IPAM: { Config: [{ Subnet: "10.231.90.128/25" }] },
    });
    assert.ok([400, 403, 409].includes(overlap.status), String(overlap.status));
    assert.match(overlap.json<{ message: string }>().message, /overlaps/);
    const cidr = await d.api.call("POST", "/networks/create", {
      Name: `${name}-3`,
      IPAM: { Config: [{ Subnet: "10.1.2.0/33" }] },
    });
    assert.equal(cidr.status, 400);
    assert.match(cidr.json<{ message: string }>().message, /CIDR/);
    const gw = await d.api.call("POST", "/networks/create", {
      Name: `${name}-4`,
      IPAM: { Config: [{ Subnet: "10.231.91.0/24", Gateway: "10.231.92.1" }] },
    });
    assert.equal(gw.status, 400);
    assert.match(gw.json<{ message: string }>().message, /gateway/i);
    const dup = await d.api.call("POST", "/networks/create", { Name: name, CheckDuplicate: true });
    assert.equal(dup.status, 409);
    // As Docker 20.10: an unknown network is refused at start (a 404 from create would make the
    // docker CLI go pulling the image).
    const missing = await d.api.ok<{ Id: string }>(
      "POST",
      "/containers/create",
      sleeper({ HostConfig: { NetworkMode: "no-such-net" } }),
    );
    const start = await d.api.call("POST", `/containers/${missing.Id}/start`);
    assert.equal(start.status, 404);
    assert.match(start.json<{ message: string }>().message, /network no-such-net not found/);
    await d.api.ok("DELETE", `/containers/${missing.Id}`);
    const pruned = await d.api.ok<{ NetworksDeleted: string[] }>("POST", "/networks/prune");
    assert.ok(pruned.NetworksDeleted.includes(name));
  });

  test("modes and files: container:<id>, -P, --mac-address, --hostname, --add-host host-gateway, --dns*", async () => {
    const bridge = await d.api.ok<NetInspect>("GET", "/networks/bridge");
    const gw = bridge.IPAM.Config[0]?.Gateway ?? "";
    const id = await d.api.run(
      sleeper({
        Hostname: "web1",
        ExposedPorts: { "80/tcp": {}, "53/udp": {} },
        HostConfig: {
          PublishAllPorts: true,
          ExtraHosts: ["hostbox:host-gateway", "fixed:10.1.2.3"],
          Dns: ["10.9.9.9"],
          DnsSearch: ["example.test"],
          DnsOptions: ["ndots:2"],
        },
        NetworkingConfig: { EndpointsConfig: { bridge: { MacAddress: "02:42:de:ad:be:ef" } } },
      }),
    );
    const info = await inspect(id);
    assert.equal(info.NetworkSettings.Networks.bridge?.MacAddress, "02:42:de:ad:be:ef");
    assert.match((await exec(id, ["cat", "/sys/class/net/eth0/address"])).stdout, /^02:42:de:ad:be:ef$/m);
    assert.ok(Number(info.NetworkSettings.Ports["80/tcp"]?.[0]?.HostPort) > 0, "-P publishes 80/tcp");
    assert.ok(Number(info.NetworkSettings.Ports["53/udp"]?.[0]?.HostPort) > 0, "-P publishes 53/udp");
    const hosts = (await exec(id, ["cat", "/etc/hosts"])).stdout;
    assert.match(hosts, new RegExp(`^${gw.replace(/\./g, "\\.")}\thostbox$`, "m"));
    assert.match(hosts, /^10\.1\.2\.3\tfixed$/m);
    assert.match(hosts, new RegExp(`^${info.NetworkSettings.IPAddress.replace(/\./g, "\\.")}\tweb1$`, "m"));
    const resolv = (await exec(id, ["cat", "/etc/resolv.conf"])).stdout;
    assert.match(resolv, /^nameserver 10\.9\.9\.9$/m);
    assert.match(resolv, /^search example\.test$/m);
    assert.match(resolv, /^options ndots:2$/m);

    // container:<id> shares the namespace: same address, same hosts file.
    const joined = await d.api.run(sleeper({ HostConfig: { NetworkMode: `container:${id}` } }));
    const addr = await exec(joined, ["ip", "-o", "-4", "addr", "show", "eth0"]);
    assert.match(addr.stdout, new RegExp(` ${info.NetworkSettings.IPAddress.replace(/\./g, "\\.")}/`));
    assert.match((await exec(joined, ["cat", "/etc/hosts"])).stdout, /hostbox/);
    const published = await d.api.call("POST", "/containers/create", {
      ...sleeper({ HostConfig: { NetworkMode: `container:${id}`, PortBindings: { "80/tcp": [{}] } } }),
    });
    assert.equal(published.status, 400);

    const staticOnDefault = await d.api.call(
      "POST",
      "/containers/create",
      sleeper({
        NetworkingConfig: { EndpointsConfig: { bridge: { IPAMConfig: { IPv4Address: "10.209.0.50" } } } },
      }),
    );
    assert.equal(staticOnDefault.status, 400);
    assert.match(staticOnDefault.json<{ message: string }>().message, /user defined networks only/);
  });

  test("EnableIPv6: containers get an IPv6 address too, reachable by name over IPv6", async () => {
    const net = `v6-${uniq()}`;
    const v6net = `fd7e:${(0x1000 + randomInt(0, 0xefff)).toString(16)}:1::`; // canonical: no leading zero
    await createNetwork({
      Name: net,
      EnableIPv6: true,
      IPAM: { Config: [{ Subnet: `${v6net}/64` }] },
    });
    const info = await d.api.ok<NetInspect>("GET", `/networks/${net}`);
    assert.ok(info.IPAM.Config.some((c) => c.Subnet === `${v6net}/64`));
    const name = `six-${uniq()}`;
    const a = await d.api.run(sleeper({ HostConfig: { NetworkMode: net } }), name);
    const b = await d.api.run(sleeper({ HostConfig: { NetworkMode: net } }));
    const epA = (await inspect(a)).NetworkSettings.Networks[net] as unknown as { GlobalIPv6Address: string };
    assert.equal(epA.GlobalIPv6Address, `${v6net}2`);
    assert.match((await exec(a, ["ip", "-6", "route"])).stdout, /^default via/m);
    const members = (
      await d.api.ok<NetInspect & { Containers: Record<string, { IPv6Address: string }> }>(
        "GET",
        `/networks/${net}`,
      )
    ).Containers;
    assert.equal(members[a]?.IPv6Address, `${v6net}2/64`);
    const ping = await exec(b, ["ping", "-6", "-c", "1", "-W", "2", name]);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    const bad = await d.api.call("POST", "/networks/create", {
      Name: `${net}-bad`,
      EnableIPv6: true,
      IPAM: { Config: [{ Subnet: `${v6net}/80` }] },
    });
    assert.ok([400, 403, 409].includes(bad.status));
    assert.match(bad.json<{ message: string }>().message, /overlaps/);
  });

  test("--link: /etc/hosts entries on the default bridge, a private DNS alias on a user network", async () => {
    const target = `lt-${uniq()}`;
    const targetId = await d.api.run(sleeper(), target);
    const ip = (await inspect(targetId)).NetworkSettings.IPAddress;
    const linked = await d.api.run(sleeper({ HostConfig: { Links: [`${target}:db`] } }));
    const hosts = (await exec(linked, ["cat", "/etc/hosts"])).stdout;
    assert.match(
      hosts,
      new RegExp(`^${ip.replace(/\./g, "\\.")}\tdb ${targetId.slice(0, 12)} ${target}$`, "m"),
    );
    const ping = await exec(linked, ["ping", "-c", "1", "-W", "2", "db"]);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    const missing = await d.api.call(
      "POST",
      "/containers/create",
      sleeper({ HostConfig: { Links: ["nope:x"] } }),
    );
    assert.equal(missing.status, 404);

    const net = `ln-${uniq()}`;
    await createNetwork({ Name: net });
    const svc = `svc-${uniq()}`;
    await d.api.run(sleeper({ HostConfig: { NetworkMode: net } }), svc);
    const withLink = await d.api.run(
      sleeper({
        HostConfig: { NetworkMode: net },
        NetworkingConfig: { EndpointsConfig: { [net]: { Links: [`${svc}:backend`] } } },
      }),
    );
    const other = await d.api.run(sleeper({ HostConfig: { NetworkMode: net, Dns: ["127.0.0.1"] } }));
    assert.equal((await exec(withLink, ["nslookup", "backend"])).code, 0);
    assert.notEqual(
      (await exec(other, ["nslookup", "backend"])).code,
      0,
      "a link alias is private to its container",
    );
  });

  test("running containers keep their network across a daemon restart; stop tears it down", async () => {
    const net = `r-${uniq()}`;
    await createNetwork({ Name: net });
    const a = `ra-${uniq()}`;
    const idA = await d.api.run(sleeper({ HostConfig: { NetworkMode: net } }), a);
    const idB = await d.api.run(sleeper({ HostConfig: { NetworkMode: net } }));
    const idC = await d.api.run(sleeper({ HostConfig: { NetworkMode: net } }));
    const c = await d.api.ok<{ State: { Pid: number }; NetworkSettings: { SandboxKey: string } }>(
      "GET",
      `/containers/${idC}/json`,
    );
    await d.crash();
    // C dies while wharfd is down: its network must be released when wharfd comes back.
    process.kill(c.State.Pid, "SIGKILL");
    await d.restart();
    let released = false;
    for (let i = 0; i < 100 && !released; i++) {
      const members = (await d.api.ok<NetInspect>("GET", `/networks/${net}`)).Containers;
      released =
        members[idC] === undefined &&
        !readFileSync("/proc/self/mounts", "utf8").includes(c.NetworkSettings.SandboxKey);
      if (!released) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(released, "the endpoint and netns of a container that died during the crash are released");
    const ping = await exec(idB, ["ping", "-c", "1", "-W", "2", a]);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    const sandbox = (await inspect(idA)).NetworkSettings.SandboxKey;
    await d.api.ok("POST", `/containers/${idA}/stop?t=0`);
    assert.equal((await inspect(idA)).NetworkSettings.Networks[net]?.IPAddress, "");
    // Cleanup follows the exit event; give it a moment.
    let pinned = true;
    for (let i = 0; i < 50 && pinned; i++) {
      pinned = readFileSync("/proc/self/mounts", "utf8").includes(sandbox);
      if (pinned) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(!pinned, "netns unpinned after stop");
    assert.equal((await d.api.ok<NetInspect>("GET", `/networks/${net}`)).Containers[idA], undefined);
  });
});
