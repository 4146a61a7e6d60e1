// The real docker CLI driving published ports and the run flags of networking against wharfd
// (or, with WHARF_TEST_SOCKET, a reference dockerd): -P with an image's EXPOSE, port ranges,
// ports on 127.0.0.1 / the host's own address / from containers through it, a port conflict,
// --network container:<id> and what it refuses, --hostname/--add-host host-gateway/--dns*/
// --mac-address, and /etc/hosts, resolv.conf and names following connect/disconnect.
// All traffic stays on this host.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { isRoot, startDaemon, type TestDaemon } from "../helpers/daemon.ts";
import { busyboxTar } from "../helpers/images.ts";
import { freeRange, hostAddress, httpGet } from "../helpers/net.ts";

const hasDocker = spawnSync("docker", ["--version"]).status === 0;
const suffix = `${process.pid}`;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const serve = (text: string, ports = [80]) => [
  "sh",
  "-c",
  `mkdir -p /www && echo ${text} > /www/index.html && ${ports
    .slice(0, -1)
    .map((p) => `httpd -p ${p} -h /www && `)
    .join("")}exec httpd -f -p ${ports.at(-1)} -h /www`,
];

describe("docker CLI: published ports and networking run flags", {
  skip: (!isRoot() && "needs root") || (!hasDocker && "docker CLI missing"),
}, () => {
  let d: TestDaemon;
  const image = `compat-ports-bb-${suffix}:latest`;
  const net = `compat-ports-${suffix}`;
  const names: string[] = [];
  const docker = (...args: string[]) => {
    const r = spawnSync("docker", ["-H", `unix://${d.socket}`, ...args], {
      encoding: "utf8",
      timeout: 60_000,
      killSignal: "SIGKILL",
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  /** A container name of this run's own, removed at the end. */
  const name = (n: string) => {
    names.push(`${n}-${suffix}`);
    return `${n}-${suffix}`;
  };
  const hostPort = (ctr: string, port: string) => /:(\d+)$/m.exec(docker("port", ctr, port).out)?.[1] ?? "";

  before(async () => {
    d = await startDaemon();
    const r = docker("import", "-c", 'CMD ["sh"]', "-c", "EXPOSE 80 8080/udp", await busyboxTar(), image);
    assert.equal(r.code, 0, r.err);
    assert.equal(docker("network", "create", net).code, 0);
  });
  after(async () => {
    if (names.length > 0) docker("rm", "-f", ...names);
    docker("network", "rm", net);
    docker("rmi", "-f", image);
    await d?.stop();
  });

  test("-P publishes the image's EXPOSEd ports; docker port lists them", async () => {
    const c = name("pall");
    assert.equal(docker("run", "-d", "--name", c, "-P", image, ...serve("all")).code, 0);
    const lines = docker("port", c).out.trim().split("\n");
    // Docker adds an [::] line per port where the host has IPv6.
    assert.ok(
      lines.some((l) => /^80\/tcp -> 0\.0\.0\.0:\d+$/.test(l)),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((l) => /^8080\/udp -> 0\.0\.0\.0:\d+$/.test(l)),
      lines.join("\n"),
    );
    assert.ok(
      lines.every((l) => /^(80\/tcp|8080\/udp) -> (0\.0\.0\.0|\[::\]):\d+$/.test(l)),
      lines.join("\n"),
    );
    assert.equal(await httpGet(`http://127.0.0.1:${hostPort(c, "80/tcp")}/`), "all\n");
  });

  test("-p with host and container port ranges maps them one to one", async () => {
    const base = await freeRange(3);
    const c = name("range");
    const run = docker(
      "run",
      "-d",
      "--name",
      c,
      "-p",
      `127.0.0.1:${base}-${base + 2}:80-82`,
      image,
      ...serve("ranged", [80, 81, 82]),
    );
    assert.equal(run.code, 0, run.err);
    assert.equal(
      docker("port", c).out,
      [80, 81, 82].map((p, i) => `${p}/tcp -> 127.0.0.1:${base + i}\n`).join(""),
    );
    for (const i of [0, 1, 2]) assert.equal(await httpGet(`http://127.0.0.1:${base + i}/`), "ranged\n");
  });

  test("a published port answers on 127.0.0.1, on the host's address, and to containers through it", async () => {
    const addr = hostAddress();
    assert.ok(addr, "the host has an address on its default-route device");
    const c = name("web");
    assert.equal(docker("run", "-d", "--name", c, "-p", "80", image, ...serve("web")).code, 0);
    const port = hostPort(c, "80/tcp");
    assert.equal(await httpGet(`http://127.0.0.1:${port}/`), "web\n");
    assert.equal(await httpGet(`http://${addr}:${port}/`), "web\n");
    for (const network of ["bridge", net]) {
      const r = docker(
        "run",
        "--rm",
        "--network",
        network,
        image,
        "timeout",
        "10",
        "wget",
        "-qO-",
        `http://${addr}:${port}/`,
      );
      assert.equal(r.out, "web\n", `from ${network}: ${r.err}`);
    }
  });

  test("-p [::1]:PORT:80 answers on ::1", async () => {
    const port = await freeRange(1);
    const c = name("six");
    const run = docker("run", "-d", "--name", c, "-p", `[::1]:${port}:80`, image, ...serve("six"));
    assert.equal(run.code, 0, run.err);
    assert.equal(docker("port", c).out, `80/tcp -> [::1]:${port}\n`);
    assert.equal(await httpGet(`http://[::1]:${port}/`), "six\n");
  });

  test("a host port in use fails the run with exit 125 and leaves the container created", async () => {
    const holder = name("holder");
    const base = await freeRange(1);
    assert.equal(docker("run", "-d", "--name", holder, "-p", `${base}:80`, image, "sleep", "300").code, 0);
    const c = name("clash");
    const r = docker("run", "-d", "--name", c, "-p", `${base}:80`, image, "sleep", "300");
    assert.equal(r.code, 125);
    assert.match(
      r.err,
      /driver failed programming external connectivity on endpoint .*(port is already allocated|address already in use)/,
    );
    assert.equal(docker("inspect", "-f", "{{.State.Status}}", c).out, "created\n");
    assert.equal(docker("port", c).out, "");
  });

  test("--network container:<id> shares the address and hostname; refuses what it cannot take", () => {
    const target = name("target");
    const run = docker("run", "-d", "--name", target, "--hostname", "web1", image, "sleep", "300");
    assert.equal(run.code, 0, run.err);
    const ip = docker("inspect", "-f", "{{.NetworkSettings.IPAddress}}", target).out.trim();
    const joined = docker(
      "run",
      "--rm",
      "--network",
      `container:${target}`,
      image,
      "sh",
      "-c",
      "hostname; ip -o -4 addr show eth0",
    );
    assert.equal(joined.code, 0, joined.err);
    assert.match(joined.out, new RegExp(`^web1\n.* ${esc(ip)}/`));
    for (const [flags, message] of [
      [["--hostname", "x"], "conflicting options: hostname and the network mode"],
      [["--dns", "10.9.9.9"], "conflicting options: dns and the network mode"],
      [["--add-host", "a:10.1.2.3"], "conflicting options: custom host-to-IP mapping and the network mode"],
      [["-p", "80"], "conflicting options: port publishing and the container type network mode"],
      [["--expose", "90"], "conflicting options: port exposing and the container type network mode"],
    ] as const) {
      const r = docker("run", "--rm", "--network", `container:${target}`, ...flags, image, "true");
      assert.equal(r.code, 125, flags.join(" "));
      assert.match(r.err, new RegExp(`Error response from daemon: ${esc(message)}`));
    }
    const missing = docker("run", "--rm", "--network", "container:no-such-ctr-" + suffix, image, "true");
    assert.equal(missing.code, 125);
    assert.match(missing.err, /No such container: no-such-ctr-/);
    assert.doesNotMatch(missing.err, /Unable to find image/, "the CLI must not go pulling");
  });

  test("an unknown --network fails the start with 404, and the CLI does not go pulling the image", () => {
    const c = name("nonet");
    const r = docker("run", "-d", "--name", c, "--network", `no-such-net-${suffix}`, image, "true");
    assert.equal(r.code, 125);
    assert.match(r.err, new RegExp(`network no-such-net-${suffix} not found`));
    assert.doesNotMatch(r.err, /Unable to find image/, "the CLI must not go pulling");
    assert.equal(docker("inspect", "-f", "{{.State.Status}}", c).out, "created\n");
  });

  test("host mode: -p is discarded with Docker's warning", () => {
    const r = docker("run", "--rm", "--network", "host", "-p", "80:80", image, "true");
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /^WARNING: Published ports are discarded when using host network mode$/m);
  });

  test("--hostname, --add-host host-gateway, --dns, --dns-search, --dns-option and --mac-address", () => {
    const gw = docker("network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", "bridge").out.trim();
    const api = docker("version", "-f", "{{.Server.APIVersion}}").out.trim();
    const [major = 0, minor = 0] = api.split(".").map(Number);
    // The docker CLI sends --mac-address per endpoint, which needs API 1.44 (docker.io 20.10: 1.41).
    const withMac = major > 1 || minor >= 44;
    const c = name("files");
    const run = docker(
      "run",
      "-d",
      "--name",
      c,
      "--hostname",
      "box1",
      "--add-host",
      "hostbox:host-gateway",
      "--add-host",
      "fixed:10.1.2.3",
      "--dns",
      "10.9.9.9",
      "--dns-search",
      "example.test",
      "--dns-option",
      "ndots:2",
      ...(withMac ? ["--mac-address", "02:42:de:ad:be:ef"] : []),
      image,
      "sh",
      "-c",
      "cat /etc/hosts /etc/resolv.conf /sys/class/net/eth0/address; hostname; sleep 300",
    );
    assert.equal(run.code, 0, run.err);
    let out = "";
    for (let i = 0; i < 50 && !out.includes("box1\n"); i++) out = docker("logs", c).out;
    const ip = docker("inspect", "-f", "{{.NetworkSettings.IPAddress}}", c).out.trim();
    assert.match(out, new RegExp(`^${esc(gw)}\thostbox$`, "m"));
    assert.match(out, /^10\.1\.2\.3\tfixed$/m);
    assert.match(out, new RegExp(`^${esc(ip)}\tbox1$`, "m"));
    assert.match(out, /^nameserver 10\.9\.9\.9$/m);
    assert.match(out, /^search example\.test$/m);
    assert.match(out, /^options ndots:2$/m);
    assert.match(out, /^box1$/m);
    if (withMac) {
      assert.match(out, /^02:42:de:ad:be:ef$/m);
      assert.equal(docker("inspect", "-f", "{{.NetworkSettings.MacAddress}}", c).out, "02:42:de:ad:be:ef\n");
      const host = docker(
        "run",
        "--rm",
        "--network",
        "host",
        "--mac-address",
        "02:42:de:ad:be:ee",
        image,
        "true",
      );
      assert.equal(host.code, 125);
      assert.match(host.err, /conflicting options: mac-address and the network mode/);
    }
  });

  test("connect and disconnect rewrite /etc/hosts and resolv.conf; names follow", () => {
    const a = name("conn-a");
    const b = name("conn-b");
    // --dns 127.0.0.1: a name nobody here knows goes to this host's loopback, never outside.
    assert.equal(docker("run", "-d", "--name", a, "--dns", "127.0.0.1", image, "sleep", "300").code, 0);
    const runB = docker(
      "run",
      "-d",
      "--name",
      b,
      "--network",
      net,
      "--dns",
      "127.0.0.1",
      image,
      "sleep",
      "300",
    );
    assert.equal(runB.code, 0, runB.err);
    // As Docker, the top-level address fields are the default bridge's only.
    assert.equal(
      docker("inspect", "-f", "[{{.NetworkSettings.IPAddress}}][{{.NetworkSettings.Gateway}}]", b).out,
      "[][]\n",
    );
    const resolvBefore = docker("exec", a, "cat", "/etc/resolv.conf").out;
    assert.notEqual(docker("exec", a, "nslookup", b).code, 0, "the default bridge has no names");

    assert.equal(docker("network", "connect", "--alias", "second", net, a).code, 0);
    const ip = docker(
      "inspect",
      "-f",
      `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`,
      a,
    ).out.trim();
    assert.match(docker("exec", a, "cat", "/etc/hosts").out, new RegExp(`^${esc(ip)}\t`, "m"));
    const resolvJoined = docker("exec", a, "cat", "/etc/resolv.conf").out;
    assert.notEqual(resolvJoined, resolvBefore, "resolv.conf now points at the embedded DNS");
    const lookup = docker("exec", a, "nslookup", b);
    assert.equal(lookup.code, 0, lookup.out + lookup.err);
    assert.match(docker("exec", b, "nslookup", "second").out, new RegExp(`Address:? ${esc(ip)}`));

    assert.equal(docker("network", "disconnect", net, a).code, 0);
    assert.doesNotMatch(docker("exec", a, "cat", "/etc/hosts").out, new RegExp(`^${esc(ip)}\t`, "m"));
    assert.notEqual(docker("exec", b, "nslookup", "second").code, 0, "the alias left with the endpoint");
    assert.notEqual(docker("exec", a, "nslookup", b).code, 0);

    // Joining the default bridge later fills them, with that network's gateway.
    assert.equal(docker("network", "connect", "bridge", b).code, 0);
    const gw = docker("network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", "bridge").out.trim();
    const top = docker("inspect", "-f", "{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}}", b).out;
    const bridgeIp = docker("inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", b).out.trim();
    assert.equal(top, `${bridgeIp} ${gw}\n`);
  });
});
