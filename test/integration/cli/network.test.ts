// `wharf network …` and `wharf port` against a real wharfd: docker's tables, output and codes.
import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { type CliResult, type Daemon, startDaemon, wharf } from "./harness.ts";

const skip = process.getuid?.() !== 0 && "needs root (wharfd runs containers)";

describe("wharf network and port", { skip, concurrency: false }, () => {
  let daemon: Daemon;
  const cli = (...args: string[]): Promise<CliResult> => wharf(daemon.host, args);
  const net = `cli-net-${process.pid}`;
  const subnet = `10.233.${randomInt(1, 250)}`;

  before(async () => {
    daemon = await startDaemon();
    assert.equal((await cli("image", "bootstrap", "busybox")).code, 0);
  });
  after(async () => {
    await daemon?.stop();
  });

  test("network create prints the ID; ls shows docker's table; inspect formats", async () => {
    const r = await cli(
      "network",
      "create",
      "--subnet",
      `${subnet}.0/24`,
      "--ip-range",
      `${subnet}.128/25`,
      "--aux-address",
      `reserved=${subnet}.129`,
      "-o",
      "com.docker.network.driver.mtu=1400",
      net,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^[0-9a-f]{64}\n$/);
    const ls = await cli("network", "ls");
    const [header, ...rows] = ls.stdout.trimEnd().split("\n");
    assert.match(header ?? "", /^NETWORK ID +NAME +DRIVER +SCOPE$/);
    assert.ok(
      rows.some((row) => new RegExp(`^[0-9a-f]{12} +${net} +bridge +local$`).test(row)),
      ls.stdout,
    );
    const q = await cli("network", "ls", "-q", "--filter", `name=${net}`);
    assert.match(q.stdout, /^[0-9a-f]{12}\n$/);
    const fmt = await cli("network", "inspect", "-f", "{{(index .IPAM.Config 0).IPRange}}", net);
    assert.equal(fmt.stdout, `${subnet}.128/25\n`);
    // docker inspect finds networks too, with or without --type.
    for (const args of [["inspect"], ["inspect", "--type", "network"]]) {
      const r = await cli(...args, "-f", "{{.Name}} {{.Driver}}", net);
      assert.equal(r.stdout, `${net} bridge\n`, r.stderr);
    }
    const missing = await cli("network", "inspect", `${net}-none`);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, "[]\n");
    assert.match(missing.stderr, new RegExp(`network ${net}-none not found`));
    const bad = await cli(
      "network",
      "create",
      "--subnet",
      "10.0.0.0/8",
      "--gateway",
      "192.168.1.1",
      `${net}-bad`,
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /no matching subnet for gateway 192\.168\.1\.1/);
  });

  test("run on the network: addresses from the ip-range, aux addresses skipped, the network's MTU; connect/disconnect", async () => {
    const run = await cli("run", "-d", "--name", "cli-a", "--network", net, "busybox", "sleep", "300");
    assert.equal(run.code, 0, run.stderr);
    const ip = await cli(
      "inspect",
      "-f",
      `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`,
      "cli-a",
    );
    assert.equal(ip.stdout, `${subnet}.128\n`);
    // The next address, .129, is an auxiliary address: the next container gets .130.
    const second = await cli(
      "run",
      "--rm",
      "--network",
      net,
      "busybox",
      "sh",
      "-c",
      "cat /sys/class/net/eth0/mtu; ip -o -4 addr show eth0",
    );
    assert.match(
      second.stdout,
      new RegExp(`^1400\n.* ${subnet.replace(/\./g, "\\.")}\\.130/24 `),
      second.stdout,
    );
    assert.equal((await cli("run", "-d", "--name", "cli-b", "busybox", "sleep", "300")).code, 0);
    const c = await cli("network", "connect", "--alias", "bee", net, "cli-b");
    assert.equal(c.code, 0, c.stderr);
    const ping = await cli("run", "--rm", "--network", net, "busybox", "ping", "-c", "1", "-W", "2", "bee");
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    const rm = await cli("network", "rm", net);
    assert.equal(rm.code, 1);
    assert.match(
      rm.stderr,
      /^Error response from daemon: error while removing network: .*has active endpoints/,
    );
    assert.equal((await cli("network", "disconnect", net, "cli-b")).code, 0);
    assert.equal((await cli("rm", "-f", "cli-a", "cli-b")).code, 0);
  });

  test("port lists mappings; ps shows them", async () => {
    const r = await cli(
      "run",
      "-d",
      "--name",
      "cli-p",
      "-p",
      "127.0.0.1::80",
      "-p",
      "127.0.0.1::53/udp",
      "busybox",
      "sleep",
      "300",
    );
    assert.equal(r.code, 0, r.stderr);
    const port = await cli("port", "cli-p");
    assert.match(port.stdout, /^53\/udp -> 127\.0\.0\.1:\d+\n80\/tcp -> 127\.0\.0\.1:\d+\n$/);
    const one = await cli("port", "cli-p", "80/tcp");
    assert.match(one.stdout, /^127\.0\.0\.1:\d+\n$/);
    const none = await cli("port", "cli-p", "81");
    assert.equal(none.code, 1);
    assert.equal(none.stderr, "Error: No public port '81' published for cli-p\n");
    const ps = await cli("ps", "--format", "{{.Ports}}", "--filter", "name=cli-p");
    assert.match(ps.stdout, /127\.0\.0\.1:\d+->80\/tcp/);
    assert.equal((await cli("rm", "-f", "cli-p")).code, 0);
  });

  test("network rm and prune", async () => {
    const rm = await cli("network", "rm", net);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(rm.stdout, `${net}\n`);
    assert.equal((await cli("network", "create", `${net}-p`)).code, 0);
    const prune = await cli("network", "prune", "-f");
    assert.equal(prune.code, 0, prune.stderr);
    assert.equal(prune.stdout, `Deleted Networks:\n${net}-p\n`);
    const missing = await cli("network", "rm", "no-such-net");
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /network no-such-net not found/);
  });
});
