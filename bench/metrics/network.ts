// 7. Network: what a container's network costs at start (POST start of a long-running container
// on the default bridge vs --network none, and with a published port), and HTTP through a port
// published on 127.0.0.1 (-p 127.0.0.1:PORT:80) to busybox httpd, loaded by wrk on this machine:
// requests/s for a 1 KiB file, MiB/s for an 8 MiB file. On 127.0.0.1 the published path is
// wharf's iptables DNAT (CNI portmap) and Docker's userland proxy (docker-proxy); on the host's
// own address it is wharf's DNAT and Docker's iptables DNAT (the bench starts the reference with
// `--iptables`). The same request straight to the container's bridge address is the floor.
import {
  type ContainerSpec,
  createContainer,
  removeContainer,
  resetDaemon,
  startContainer,
} from "../lib/engine.ts";
import { freePort, hostAddress, waitHttp } from "../lib/net.ts";
import { type BenchContext, interleave, type MetricGroup, prepare, timed } from "../lib/runner.ts";
import { errorLine, sh, which } from "../lib/sh.ts";
import type { Target } from "../targets/target.ts";

const SERVE = [
  "mkdir -p /www",
  "head -c 1024 /dev/zero | tr '\\0' a > /www/small",
  "dd if=/dev/zero of=/www/big bs=1048576 count=8 2>/dev/null",
  "exec httpd -f -p 80 -h /www",
].join(" && ");

const UNITS: Record<string, number> = { B: 1 / 1048576, KB: 1 / 1024, MB: 1, GB: 1024 };

interface WrkResult {
  reqPerSec: number;
  mibPerSec: number;
}

async function wrk(url: string, connections: number, seconds: number): Promise<WrkResult> {
  const r = await sh("wrk", ["-t2", `-c${connections}`, `-d${seconds}s`, url], {
    timeoutMs: (seconds + 30) * 1000,
  });
  if (r.code !== 0) throw new Error(`wrk exited ${r.code}: ${errorLine(r.stderr)}`);
  const req = r.stdout.match(/Requests\/sec:\s+([\d.]+)/);
  const xfer = r.stdout.match(/Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB)/);
  if (!req || !xfer) throw new Error("could not read wrk's output");
  const errors = r.stdout.match(/Non-2xx or 3xx responses:\s+(\d+)/);
  if (errors) throw new Error(`${errors[1]} failed requests`);
  return { reqPerSec: Number(req[1]), mibPerSec: Number(xfer[1]) * UNITS[xfer[2]!]! };
}

/** Time of POST start alone (the network setup is part of it), for a sleeping container. */
async function startLatency(t: Target, spec: Omit<ContainerSpec, "cmd">): Promise<number> {
  const id = await createContainer(t.api, { cmd: ["sleep", "60"], ...spec });
  try {
    return await timed(() => startContainer(t.api, id));
  } finally {
    await removeContainer(t.api, id, true);
  }
}

async function startRows(ctx: BenchContext): Promise<void> {
  const reps = ctx.quick ? 5 : 10;
  const r = ctx.results;
  const none = r.row("network", "net.start.none", "POST start, --network none", "ms");
  const bridge = r.row("network", "net.start.bridge", "POST start, default bridge", "ms");
  const published = r.row(
    "network",
    "net.start.publish",
    "POST start, default bridge + -p 127.0.0.1:PORT:80",
    "ms",
  );
  await interleave(
    ctx,
    [none, bridge, published],
    reps,
    async (t, _i, rec) => {
      rec(none, await startLatency(t, { network: "none" }));
      rec(bridge, await startLatency(t, { network: "default" }));
      const port = await freePort();
      rec(
        published,
        await startLatency(t, { network: "default", publish: { hostPort: port, containerPort: 80 } }),
      );
    },
    { warmup: 1 },
  );
}

export const network: MetricGroup = {
  name: "network",
  async run(ctx: BenchContext) {
    await startRows(ctx);
    const reps = ctx.quick ? 1 : 2;
    const seconds = ctx.quick ? 3 : 5;
    const r = ctx.results;
    const small = r.row(
      "network",
      "net.http.small",
      "HTTP 1 KiB GET via published port (wrk -c16)",
      "req/s",
      "higher",
    );
    const big = r.row(
      "network",
      "net.http.big",
      "HTTP 8 MiB GET via published port (wrk -c4)",
      "MiB/s",
      "higher",
    );
    const direct = r.row(
      "network",
      "net.http.direct",
      "HTTP 1 KiB GET to the container's bridge address, no port publishing (wrk -c16)",
      "req/s",
      "higher",
    );
    const viaHost = r.row(
      "network",
      "net.http.hostaddr",
      "HTTP 1 KiB GET via a port published on the host's address (Docker: iptables DNAT; wrk -c16)",
      "req/s",
      "higher",
    );
    const rows = [small, big, direct, viaHost];
    if (!(await which("wrk"))) {
      for (const t of ctx.targets) {
        for (const row of rows) row.na[t.name] = "wrk not installed (bench/docker-reference.sh install)";
      }
      return;
    }
    const host = await hostAddress();
    const ports = new Map<string, { loopback: number; host: number }>();
    const addresses = new Map<string, string>();
    const ready = await prepare(ctx, rows, async (t) => {
      const loopback = await freePort();
      const onHost = await freePort();
      const id = await createContainer(t.api, {
        cmd: ["sh", "-c", SERVE],
        publish: {
          hostPort: loopback,
          containerPort: 80,
          alsoOn: host ? { hostIp: host, hostPort: onHost } : undefined,
        },
      });
      await startContainer(t.api, id);
      await waitHttp(`http://127.0.0.1:${loopback}/small`, 10_000);
      ports.set(t.name, { loopback, host: onHost });
      const info = await t.api.json<{ NetworkSettings: { IPAddress: string } }>(
        "GET",
        `/containers/${id}/json`,
      );
      addresses.set(t.name, info.NetworkSettings.IPAddress);
      if (!host) viaHost.na[t.name] = "no IPv4 address on the default route's interface";
      else if (t.name === "docker" && !(await dockerNatsPort(onHost))) {
        viaHost.na[t.name] = "the reference dockerd runs with --iptables=false (started by someone else)";
      }
    });
    await interleave(ctx, rows, reps, async (t, _i, rec) => {
      const port = ports.get(t.name) as { loopback: number; host: number };
      const base = `http://127.0.0.1:${port.loopback}`;
      rec(small, (await wrk(`${base}/small`, 16, seconds)).reqPerSec);
      rec(big, (await wrk(`${base}/big`, 4, seconds)).mibPerSec);
      rec(direct, (await wrk(`http://${addresses.get(t.name)}/small`, 16, seconds)).reqPerSec);
      if (!viaHost.na[t.name])
        rec(viaHost, (await wrk(`http://${host}:${port.host}/small`, 16, seconds)).reqPerSec);
    });
    for (const t of ready) await resetDaemon(t.api).catch(() => {});
  },
};

/** Whether dockerd has a DNAT rule for `port` (it runs with --iptables), so the host-address row measures that path. */
async function dockerNatsPort(port: number): Promise<boolean> {
  const r = await sh("iptables", ["-t", "nat", "-S", "DOCKER"]);
  return r.code === 0 && r.stdout.includes(`--dport ${port} `);
}
