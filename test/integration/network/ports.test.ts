// Published ports against a real wharfd: reachable on 127.0.0.1, on the host's own (non-loopback)
// address, and from containers on any network through that address (hairpin); host port ranges;
// -P with an image's EXPOSE; a port conflict at start that leaves nothing behind; a port whose
// container died while wharfd was down is released. All traffic stays on this host.
import assert from "node:assert/strict";
import { execFile, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createSocket as createUdpSocket } from "node:dgram";
import { createReadStream, existsSync, readdirSync, readFileSync } from "node:fs";
import { connect as connectTcp } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { killAfter } from "../../helpers/bounded.ts";
import { isRoot, startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { busyboxTar, importBusybox } from "../../helpers/images.ts";
import { close, freeRange, hostAddress, httpGet, listen } from "../../helpers/net.ts";

const skip = (!isRoot() && "needs root") || (process.env.WHARF_TEST_SOCKET && "needs a wharfd of its own");

const uniq = () => randomBytes(3).toString("hex");

interface CtrInspect {
  Id: string;
  State: { Pid: number; Status: string };
  NetworkSettings: {
    Gateway: string;
    SandboxKey: string;
    Ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null>;
    Networks: Record<string, { IPAddress: string }>;
  };
}

/** A busybox httpd serving `text` on each of `ports`. */
function server(text: string, ports: number[] = [80]): string[] {
  const rest = ports.slice(0, -1).map((p) => `httpd -p ${p} -h /www && `);
  return [
    "sh",
    "-c",
    `mkdir -p /www && echo ${text} > /www/index.html && ${rest.join("")}exec httpd -f -p ${ports.at(-1)} -h /www`,
  ];
}

describe("published ports", { skip }, () => {
  let d: TestDaemon;
  const exposing = `exposing-${uniq()}:latest`;
  before(async () => {
    d = await startDaemon();
    await importBusybox(d.api);
    // An image with EXPOSE, as `docker import -c 'EXPOSE …'` makes it.
    const changes = ['CMD ["sh"]', "EXPOSE 80 8080/udp"]
      .map((c) => `&changes=${encodeURIComponent(c)}`)
      .join("");
    const res = await d.api.call(
      "POST",
      `/images/create?fromSrc=-&repo=${encodeURIComponent(exposing)}${changes}`,
      undefined,
      { headers: { "Content-Type": "application/x-tar" }, stream: createReadStream(await busyboxTar()) },
    );
    assert.equal(res.status, 200, res.text());
  });
  after(async () => {
    await d?.stop();
  });

  const inspect = (id: string) => d.api.ok<CtrInspect>("GET", `/containers/${id}/json`);

  async function exec(id: string, cmd: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const pid = (await inspect(id)).State.Pid;
    return new Promise((resolve) => {
      execFile(
        "nsenter",
        ["-t", String(pid), "-m", "-u", "-i", "-n", "-p", "--", ...cmd],
        { encoding: "utf8", timeout: 20_000 },
        (err, stdout, stderr) => {
          resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
        },
      );
    });
  }

  /** Veths on the daemon's default bridge. */
  async function defaultBridgePorts(): Promise<string[]> {
    const n = await d.api.ok<{ Options: Record<string, string> }>("GET", "/networks/bridge");
    const dir = `/sys/class/net/${n.Options["com.docker.network.bridge.name"]}/brif`;
    return existsSync(dir) ? readdirSync(dir).sort() : [];
  }

  const natRules = () => execFileSync("iptables", ["-w", "5", "-t", "nat", "-S"], { encoding: "utf8" });

  test("a port published on all addresses answers on 127.0.0.1, on the host's own address, and from containers on any network through it", async () => {
    const addr = hostAddress();
    const id = await d.api.run({
      Image: "busybox",
      Cmd: server("everywhere"),
      HostConfig: { PortBindings: { "80/tcp": [{ HostPort: "" }] } },
    });
    const info = await inspect(id);
    const binding = info.NetworkSettings.Ports["80/tcp"]?.[0];
    assert.equal(binding?.HostIp, "0.0.0.0", JSON.stringify(info.NetworkSettings.Ports));
    const port = binding?.HostPort ?? "";
    assert.equal(await httpGet(`http://127.0.0.1:${port}/`), "everywhere\n");
    if (existsSync("/proc/net/if_inet6")) {
      // As Docker on a host with IPv6: the same port on [::] too, relayed to the container.
      assert.deepEqual(info.NetworkSettings.Ports["80/tcp"]?.[1], { HostIp: "::", HostPort: port });
      assert.equal(await httpGet(`http://[::1]:${port}/`), "everywhere\n");
    }
    assert.ok(addr, "the host has an address on its default-route device");
    assert.equal(await httpGet(`http://${addr}:${port}/`), "everywhere\n");

    // Hairpin: from the same bridge, and from a user network (as Docker's proxy allows), through
    // the host's address; the user network still cannot reach the container directly.
    const net = `hp-${uniq()}`;
    await d.api.ok("POST", "/networks/create", { Name: net });
    const sameBridge = await d.api.run({ Image: "busybox", Cmd: ["sleep", "300"] });
    const otherNet = await d.api.run({
      Image: "busybox",
      Cmd: ["sleep", "300"],
      HostConfig: { NetworkMode: net },
    });
    for (const client of [sameBridge, otherNet]) {
      const r = await exec(client, ["timeout", "10", "wget", "-qO-", `http://${addr}:${port}/`]);
      assert.equal(r.stdout, "everywhere\n", r.stderr);
    }
    const direct = await exec(otherNet, [
      "timeout",
      "3",
      "wget",
      "-qO-",
      `http://${info.NetworkSettings.Networks.bridge?.IPAddress}/`,
    ]);
    assert.notEqual(direct.code, 0, "a user network still cannot reach the default bridge directly");

    // An --internal network has no way out, not even to a published port.
    const internal = `hpi-${uniq()}`;
    await d.api.ok("POST", "/networks/create", { Name: internal, Internal: true });
    const shut = await d.api.run({
      Image: "busybox",
      Cmd: ["sleep", "300"],
      HostConfig: { NetworkMode: internal },
    });
    const blocked = await exec(shut, ["timeout", "3", "wget", "-qO-", `http://${addr}:${port}/`]);
    assert.notEqual(blocked.code, 0, blocked.stdout);
  });

  test("a port published on 127.0.0.1 is not reachable on the host's own address", async () => {
    const addr = hostAddress();
    const id = await d.api.run({
      Image: "busybox",
      Cmd: server("loopback"),
      HostConfig: { PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] } },
    });
    const port = (await inspect(id)).NetworkSettings.Ports["80/tcp"]?.[0]?.HostPort;
    assert.equal(await httpGet(`http://127.0.0.1:${port}/`), "loopback\n");
    const outside = await fetch(`http://${addr}:${port}/`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status,
      () => 0,
    );
    assert.equal(outside, 0);
  });

  test("a port published on an IPv6 host address is relayed to the container, TCP and UDP", async () => {
    const id = await d.api.run({
      Image: "busybox",
      Cmd: server("six"),
      HostConfig: { PortBindings: { "80/tcp": [{ HostIp: "::1", HostPort: "" }] } },
    });
    const binding = (await inspect(id)).NetworkSettings.Ports["80/tcp"]?.[0];
    assert.equal(binding?.HostIp, "::1");
    assert.equal(await httpGet(`http://[::1]:${binding?.HostPort}/`), "six\n");
    // A client that half-closes after its request still gets the whole answer through the relay.
    const answer = await new Promise<string>((resolve, reject) => {
      const sock = connectTcp({ host: "::1", port: Number(binding?.HostPort), allowHalfOpen: true });
      let got = "";
      // A relay that never ends the answer fails the test instead of holding the socket open.
      sock.setTimeout(30_000, () => sock.destroy(new Error(`no end of the answer within 30 s: ${got}`)));
      sock.on("data", (b: Buffer) => {
        got += b.toString();
      });
      sock.on("end", () => resolve(got));
      sock.on("error", reject);
      sock.end("GET /index.html HTTP/1.0\r\n\r\n");
    });
    assert.match(answer, /^HTTP\/1\.[01] 200 OK\r\n[\s\S]*\r\n\r\nsix\n$/);

    // UDP there is relayed too, each client on its own flow. busybox has no UDP server, so the
    // echo server is Node, run in the container's network namespace.
    const udp = await d.api.run({
      Image: "busybox",
      Cmd: ["sleep", "300"],
      HostConfig: { PortBindings: { "53/udp": [{ HostIp: "::1", HostPort: "" }] } },
    });
    const info = await inspect(udp);
    const hostPort = Number(info.NetworkSettings.Ports["53/udp"]?.[0]?.HostPort);
    const echo = spawn(
      "nsenter",
      [
        `--net=${info.NetworkSettings.SandboxKey}`,
        process.execPath,
        "-e",
        `const s = require("node:dgram").createSocket("udp4"); s.on("message", (m, r) => s.send(Buffer.concat([Buffer.from("echo:"), m]), r.port, r.address)); s.bind(53, () => console.log("up"));`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    killAfter(echo, 60_000);
    try {
      // Up, or gone (then the asks below fail and say so).
      await new Promise((resolve) => {
        echo.stdout?.once("data", resolve);
        echo.once("close", resolve);
      });
      const ask = async (text: string) => {
        const client = createUdpSocket("udp6");
        try {
          const answer = new Promise<string>((resolve) =>
            client.once("message", (m) => resolve(m.toString())),
          );
          client.send(text, hostPort, "::1");
          return await Promise.race([
            answer,
            new Promise<string>((r) => setTimeout(() => r("timeout"), 3000)),
          ]);
        } finally {
          client.close();
        }
      };
      assert.deepEqual(await Promise.all([ask("one"), ask("two")]), ["echo:one", "echo:two"]);
    } finally {
      echo.kill();
    }
    await d.api.ok("DELETE", `/containers/${udp}?force=1`);
  });

  test("a host port range maps container ports one to one; a range for one port takes one of them", async () => {
    const base = await freeRange(5);
    const id = await d.api.run({
      Image: "busybox",
      Cmd: server("ranged", [80, 81, 82]),
      HostConfig: {
        PortBindings: {
          "80/tcp": [{ HostIp: "127.0.0.1", HostPort: String(base) }],
          "81/tcp": [{ HostIp: "127.0.0.1", HostPort: String(base + 1) }],
          "82/tcp": [{ HostIp: "127.0.0.1", HostPort: String(base + 2) }],
          "90/tcp": [{ HostIp: "127.0.0.1", HostPort: `${base + 3}-${base + 4}` }],
        },
      },
    });
    const ports = (await inspect(id)).NetworkSettings.Ports;
    for (const [i, p] of [80, 81, 82].entries()) {
      assert.deepEqual(ports[`${p}/tcp`], [{ HostIp: "127.0.0.1", HostPort: String(base + i) }]);
      assert.equal(await httpGet(`http://127.0.0.1:${base + i}/`), "ranged\n");
    }
    const ranged = Number(ports["90/tcp"]?.[0]?.HostPort);
    assert.ok(ranged === base + 3 || ranged === base + 4, String(ranged));
  });

  test("-P publishes the image's EXPOSEd ports on free host ports", async () => {
    const id = await d.api.run({
      Image: exposing,
      Cmd: server("exposed"),
      HostConfig: { PublishAllPorts: true },
    });
    const ports = (await inspect(id)).NetworkSettings.Ports;
    const tcp = ports["80/tcp"]?.[0];
    const udp = ports["8080/udp"]?.[0];
    assert.ok(tcp && Number(tcp.HostPort) > 0, JSON.stringify(ports));
    assert.ok(udp && Number(udp.HostPort) > 0, JSON.stringify(ports));
    assert.equal(await httpGet(`http://127.0.0.1:${tcp.HostPort}/`), "exposed\n");
    // Without -P the same image's ports are only exposed.
    const plain = await d.api.run({ Image: exposing, Cmd: ["sleep", "300"] });
    assert.deepEqual((await inspect(plain)).NetworkSettings.Ports, { "80/tcp": null, "8080/udp": null });
  });

  test("a port conflict at start fails cleanly: no veth, rule, namespace or lease left; the holder keeps working", async () => {
    const first = await d.api.run({
      Image: "busybox",
      Cmd: server("holder"),
      HostConfig: { PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] } },
    });
    const port = (await inspect(first)).NetworkSettings.Ports["80/tcp"]?.[0]?.HostPort ?? "";
    const vethsBefore = await defaultBridgePorts();
    const foreign = await listen(await freeRange(1));
    const foreignPort = String((foreign.address() as { port: number }).port);
    try {
      for (const [hostPort, holder] of [
        [port, "another container"],
        [foreignPort, "a process outside wharf"],
      ] as const) {
        const { Id } = await d.api.ok<{ Id: string }>("POST", "/containers/create", {
          Image: "busybox",
          Cmd: ["sleep", "300"],
          HostConfig: {
            PortBindings: {
              "81/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }],
              "80/tcp": [{ HostIp: "127.0.0.1", HostPort: hostPort }],
            },
          },
        });
        const res = await d.api.call("POST", `/containers/${Id}/start`);
        assert.equal(res.status, 500, holder);
        assert.match(
          res.json<{ message: string }>().message,
          new RegExp(
            `^driver failed programming external connectivity on endpoint .*: Bind for 127\\.0\\.0\\.1:${hostPort} failed: port is already allocated$`,
          ),
        );
        const info = await inspect(Id);
        assert.equal(info.State.Status, "created");
        assert.deepEqual(info.NetworkSettings.Ports, {});
        assert.equal(info.NetworkSettings.SandboxKey, "");
        assert.deepEqual(await defaultBridgePorts(), vethsBefore, "no veth left");
        assert.ok(!natRules().includes(Id), "no CNI portmap rule left");
        assert.ok(!existsSync(join(d.execRoot, "netns", Id)), "no namespace left");
        assert.ok(!readFileSync("/proc/self/mounts", "utf8").includes(Id), "no namespace mount left");
        const bridge = await d.api.ok<{ Containers: Record<string, unknown> }>("GET", "/networks/bridge");
        assert.equal(bridge.Containers[Id], undefined, "no lease left");
        await d.api.ok("DELETE", `/containers/${Id}`);
      }
    } finally {
      await close(foreign);
    }
    assert.equal(await httpGet(`http://127.0.0.1:${port}/`), "holder\n");
    // Once the holder is gone the port is free again for the next container.
    await d.api.ok("DELETE", `/containers/${first}?force=1`);
    const next = await d.api.run({
      Image: "busybox",
      Cmd: server("next"),
      HostConfig: { PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: port }] } },
    });
    assert.equal((await inspect(next)).NetworkSettings.Ports["80/tcp"]?.[0]?.HostPort, port);
    assert.equal(await httpGet(`http://127.0.0.1:${port}/`), "next\n");
  });

  test("across a wharfd crash a running container's port keeps answering and stays held; one that died gives its port back", async () => {
    const keeper = await d.api.run({
      Image: "busybox",
      Cmd: server("kept"),
      HostConfig: {
        PortBindings: {
          "80/tcp": [
            { HostIp: "127.0.0.1", HostPort: "" },
            { HostIp: "::1", HostPort: "" },
          ],
        },
      },
    });
    const kept = (await inspect(keeper)).NetworkSettings.Ports["80/tcp"] ?? [];
    const keptPort = kept.find((b) => b.HostIp === "127.0.0.1")?.HostPort ?? "";
    const keptPort6 = kept.find((b) => b.HostIp === "::1")?.HostPort ?? "";
    assert.equal(await httpGet(`http://127.0.0.1:${keptPort}/`), "kept\n");
    assert.equal(await httpGet(`http://[::1]:${keptPort6}/`), "kept\n");
    const id = await d.api.run({
      Image: "busybox",
      Cmd: ["sleep", "300"],
      HostConfig: { PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] } },
    });
    const info = await inspect(id);
    const port = Number(info.NetworkSettings.Ports["80/tcp"]?.[0]?.HostPort);
    const vethsBefore = await defaultBridgePorts();
    assert.ok(natRules().includes(id), "portmap has the container's port");
    await d.crash();
    process.kill(info.State.Pid, "SIGKILL");
    await d.restart();
    let released = false;
    for (let i = 0; i < 100 && !released; i++) {
      const members = (await d.api.ok<{ Containers: Record<string, unknown> }>("GET", "/networks/bridge"))
        .Containers;
      released = members[id] === undefined && !natRules().includes(id);
      if (!released) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(released, "endpoint and portmap rules released");
    assert.equal((await defaultBridgePorts()).length, vethsBefore.length - 1, "its veth is gone");
    assert.ok(!readFileSync("/proc/self/mounts", "utf8").includes(info.NetworkSettings.SandboxKey));
    await close(await listen(port, "127.0.0.1")); // the host port is free again

    assert.equal(await httpGet(`http://127.0.0.1:${keptPort}/`), "kept\n");
    assert.equal(await httpGet(`http://[::1]:${keptPort6}/`), "kept\n", "the IPv6 relay is back");
    const { Id: clash } = await d.api.ok<{ Id: string }>("POST", "/containers/create", {
      Image: "busybox",
      Cmd: ["sleep", "300"],
      HostConfig: { PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: keptPort }] } },
    });
    const res = await d.api.call("POST", `/containers/${clash}/start`);
    assert.equal(res.status, 500, "the survivor's port is held again after the restart");
    await d.api.ok("DELETE", `/containers/${clash}`);
  });
});
