// The real docker CLI driving networks against wharfd (or, with WHARF_TEST_SOCKET, a reference
// dockerd): network create/ls/inspect/connect/disconnect/rm, run --network -p, port.
// All traffic stays on this host (container to container, and 127.0.0.1).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { isRoot, startDaemon, type TestDaemon } from "../helpers/daemon.ts";
import { dockerAgainst, nowSeconds, pastEvents } from "../helpers/docker-cli.ts";
import { busyboxTar } from "../helpers/images.ts";

const hasDocker = spawnSync("docker", ["--version"]).status === 0;
const suffix = `${process.pid}`;

describe("docker CLI: networks and ports", {
  skip: (!isRoot() && "needs root") || (!hasDocker && "docker CLI missing"),
}, () => {
  let d: TestDaemon;
  const image = `compat-net-bb-${suffix}:latest`;
  const net = `compat-net-${suffix}`;
  const subnet = `10.232.${randomInt(1, 250)}`;
  const docker = dockerAgainst(() => d.socket);

  before(async () => {
    d = await startDaemon();
    const imported = docker("import", "-c", 'CMD ["sh"]', await busyboxTar(), image);
    assert.equal(imported.code, 0, imported.err);
  });
  after(async () => {
    for (const name of [`web-${suffix}`, `pub-${suffix}`, `peer-${suffix}`, `ev-${suffix}`])
      docker("rm", "-f", name);
    docker("network", "rm", net, `${net}-ev`);
    docker("rmi", "-f", image);
    await d?.stop();
  });

  test("network create, ls, inspect", () => {
    const created = docker(
      "network",
      "create",
      "--subnet",
      `${subnet}.0/24`,
      "--gateway",
      `${subnet}.1`,
      "--label",
      "purpose=compat",
      net,
    );
    assert.equal(created.code, 0, created.err);
    assert.match(created.out.trim(), /^[0-9a-f]{64}$/);
    const ls = docker("network", "ls");
    assert.match(ls.out.split("\n")[0] ?? "", /^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/);
    assert.match(ls.out, new RegExp(`^[0-9a-f]{12}\\s+${net}\\s+bridge\\s+local$`, "m"));
    assert.match(ls.out, /\sbridge\s+bridge\s+local$/m);
    const filtered = docker("network", "ls", "--filter", "label=purpose=compat", "--format", "{{.Name}}");
    assert.equal(filtered.out, `${net}\n`);
    const fmt = docker(
      "network",
      "inspect",
      "-f",
      "{{.Driver}} {{(index .IPAM.Config 0).Subnet}} {{.Labels.purpose}}",
      net,
    );
    assert.equal(fmt.out, `bridge ${subnet}.0/24 compat\n`);
    const dup = docker("network", "create", net);
    assert.notEqual(dup.code, 0);
    assert.match(dup.err, /already exists/);
  });

  test("run --network: containers reach each other by name; connect with --ip and --alias; rm refused while in use", () => {
    const web = `web-${suffix}`;
    const run = docker(
      "run",
      "-d",
      "--name",
      web,
      "--network",
      net,
      image,
      "sh",
      "-c",
      "mkdir -p /www && echo by-name > /www/index.html && exec httpd -f -p 80 -h /www",
    );
    assert.equal(run.code, 0, run.err);
    let got = "";
    for (let i = 0; i < 10 && got !== "by-name\n"; i++) {
      got = docker(
        "run",
        "--rm",
        "--network",
        net,
        image,
        "timeout",
        "10",
        "wget",
        "-qO-",
        `http://${web}/`,
      ).out;
    }
    assert.equal(got, "by-name\n");

    const peer = `peer-${suffix}`;
    assert.equal(docker("run", "-d", "--name", peer, image, "sleep", "300").code, 0);
    const connect = docker("network", "connect", "--ip", `${subnet}.50`, "--alias", "buddy", net, peer);
    assert.equal(connect.code, 0, connect.err);
    const ip = docker("inspect", "-f", `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, peer);
    assert.equal(ip.out, `${subnet}.50\n`);
    const members = docker("network", "inspect", "-f", "{{range .Containers}}{{.Name}} {{end}}", net);
    assert.match(members.out, new RegExp(peer));
    assert.match(members.out, new RegExp(web));
    const byAlias = docker("run", "--rm", "--network", net, image, "ping", "-c", "1", "-W", "2", "buddy");
    assert.equal(byAlias.code, 0, byAlias.out + byAlias.err);
    assert.match(byAlias.out, new RegExp(`${subnet.replace(/\./g, "\\.")}\\.50`));

    const busy = docker("network", "rm", net);
    assert.notEqual(busy.code, 0);
    assert.match(busy.err, /active endpoints/);
    assert.equal(docker("network", "disconnect", net, peer).code, 0);
    const after = docker("inspect", "-f", `{{index .NetworkSettings.Networks "${net}"}}`, peer);
    assert.match(after.out, /^(<nil>|<no value>)\n$/);
  });

  test("run -p 127.0.0.1::80 and docker port; the port answers on 127.0.0.1", async () => {
    const pub = `pub-${suffix}`;
    const run = docker(
      "run",
      "-d",
      "--name",
      pub,
      "-p",
      "127.0.0.1::80",
      image,
      "sh",
      "-c",
      "mkdir -p /www && echo published > /www/index.html && exec httpd -f -p 80 -h /www",
    );
    assert.equal(run.code, 0, run.err);
    const port = docker("port", pub);
    assert.match(port.out, /^80\/tcp -> 127\.0\.0\.1:\d+$/m);
    const one = docker("port", pub, "80");
    const hostPort = /^127\.0\.0\.1:(\d+)$/m.exec(one.out)?.[1];
    assert.ok(hostPort, one.out);
    let body = "";
    for (let i = 0; i < 50 && body === ""; i++) {
      body = await fetch(`http://127.0.0.1:${hostPort}/`).then(
        (r) => r.text(),
        () => "",
      );
      if (body === "") await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(body, "published\n");
    assert.match(
      docker("ps", "--filter", `name=${pub}`, "--format", "{{.Ports}}").out,
      /127\.0\.0\.1:\d+->80\/tcp/,
    );
    const missing = docker("port", pub, "81");
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /No public port '81' published for/);
  });

  test("--network none and host", () => {
    const none = docker("run", "--rm", "--network", "none", image, "ip", "-o", "link");
    assert.equal(none.code, 0, none.err);
    assert.doesNotMatch(none.out, /eth0/);
    const host = docker("run", "--rm", "--network", "host", image, "cat", "/proc/net/dev");
    assert.equal(host.code, 0, host.err);
    assert.match(host.out, /lo:/);
  });

  test("events: a container joining and leaving a network is reported, as well as create and destroy", () => {
    const since = nowSeconds() - 1;
    const evNet = `${net}-ev`;
    assert.equal(docker("network", "create", evNet).code, 0);
    const run = docker("run", "-d", "--name", `ev-${suffix}`, "--network", evNet, image, "true");
    assert.equal(run.code, 0, run.err);
    const id = run.out.trim();
    assert.equal(docker("wait", id).out, "0\n");
    assert.equal(docker("rm", id).code, 0);
    assert.equal(docker("network", "rm", evNet).code, 0);
    const events = pastEvents(
      docker,
      since,
      ["type=network", `network=${evNet}`],
      `{{.Action}} {{.Actor.Attributes.name}} {{index .Actor.Attributes "container"}}`,
    );
    assert.deepEqual(events, [
      `create ${evNet}`,
      `connect ${evNet} ${id}`,
      `disconnect ${evNet} ${id}`,
      `destroy ${evNet}`,
    ]);
  });
});
