// Starts a real wharfd for a test on its own temp data root, exec root and socket — or, when
// WHARF_TEST_SOCKET is set, uses that daemon (e.g. a reference dockerd) instead, so the same
// compat tests show where wharf and Docker differ.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
} from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { chainNames } from "../../src/engine/network/firewall.ts";
import { PORTMAP_CHAINS } from "../../src/engine/network/portmap-chains.ts";
import { TestApi } from "./api.ts";
import { exitOf, killAndWait, settlesWithin, stopChild } from "./bounded.ts";

const repoRoot = join(import.meta.dirname, "..", "..");

/** How long stop() lets the daemon answer its cleanup API calls before it stops it regardless. */
const API_CLEANUP_MS = 60_000;
/** How long a SIGTERMed test daemon gets to shut down before it is SIGKILLed. */
const SHUTDOWN_MS = 30_000;

export interface TestDaemon {
  socket: string;
  dataRoot: string;
  execRoot: string;
  api: TestApi;
  /** True when the daemon under test is wharfd started by this helper. */
  owned: boolean;
  logs(): string;
  stop(): Promise<void>;
  /** Kills the daemon hard (SIGKILL), keeping its data root, for restart tests. */
  crash(): Promise<void>;
  /** Stops the daemon cleanly (SIGTERM) as it is, containers and all, for restart tests. */
  terminate(): Promise<void>;
  restart(): Promise<void>;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

async function waitForPing(api: TestApi, child: ChildProcess | undefined, logFile: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) {
      throw new Error(
        `wharfd exited with ${child.exitCode}: ${existsSync(logFile) ? readFileSync(logFile, "utf8") : ""}`,
      );
    }
    try {
      // Bounded: a daemon that accepts but never answers must still hit the deadline.
      const res = await api.call("GET", "/_ping", undefined, { raw: true, idleTimeoutMs: 2000 });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("wharfd did not answer /_ping within 20 s");
}

/**
 * Records the ID of every container a daemon creates, from its live /events stream, so the
 * cgroups of containers long removed can still be checked after the daemon stops.
 */
function watchCreatedContainers(socket: string, ids: Set<string>): () => void {
  const filters = encodeURIComponent(JSON.stringify({ type: ["container"], event: ["create"] }));
  let buf = "";
  const req = request({ socketPath: socket, path: `/v1.41/events?filters=${filters}` }, (res) => {
    res.on("data", (c: Buffer) => {
      buf += c.toString();
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      for (const line of lines) {
        if (line) ids.add((JSON.parse(line) as { id: string }).id);
      }
    });
    res.on("error", () => undefined);
  });
  req.on("error", () => undefined);
  req.end();
  return () => req.destroy();
}

/** cgroup directories (v1 controllers, or v2) still there for these container IDs. */
export function cgroupLeaks(ids: Iterable<string>): string[] {
  const roots = existsSync("/sys/fs/cgroup/cgroup.controllers")
    ? ["/sys/fs/cgroup"]
    : readdirSync("/sys/fs/cgroup").map((c) => join("/sys/fs/cgroup", c));
  const out: string[] = [];
  for (const id of ids) {
    for (const root of roots) {
      const dir = join(root, "wharf", id);
      if (existsSync(dir)) out.push(dir);
    }
  }
  return out;
}

/** Mounts and conmon processes that still refer to a test daemon's directory. */
export function leaks(base: string): { mounts: string[]; monitors: number[] } {
  const mounts = readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[1] ?? "")
    .filter((m) => m.startsWith(base));
  const monitors: number[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (cmd.startsWith("conmon") && cmd.includes(base)) monitors.push(Number(pid));
    } catch {
      // exited meanwhile
    }
  }
  return { mounts, monitors };
}

interface NetworkInfo {
  Id: string;
  Name: string;
  Options?: Record<string, string>;
}

/** `iptables -S` of a table; `ip6tables` with `ipv6`. */
function iptablesRules(table: string, ipv6 = false): string[] {
  try {
    return execFileSync(ipv6 ? "ip6tables" : "iptables", ["-w", "5", "-t", table, "-S"], {
      encoding: "utf8",
    }).split("\n");
  } catch {
    return [];
  }
}

/** Pids of running wharfd processes (test daemons of other test files included). */
export function wharfdPids(): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (/daemon\/main\.(ts|js)\0/.test(readFileSync(`/proc/${pid}/cmdline`, "utf8")))
        pids.push(Number(pid));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Whether CNI portmap's chains exist in iptables or ip6tables. */
function portmapChainsExist(): boolean {
  return [false, true].some((v6) =>
    iptablesRules("nat", v6).some((r) => PORTMAP_CHAINS.some((c) => r === `-N ${c}`)),
  );
}

/**
 * Network state a stopped test daemon left behind: user-network bridges, veths on its default
 * bridge, iptables and ip6tables rules of its networks, its own WHARF chains (named after its
 * default bridge) and CNI portmap's chains with no port published — those only when
 * `portmapIsOurs`: they did not exist and no other wharfd ran when this daemon started, and no
 * other wharfd runs now, so this daemon is the one that should have removed them.
 */
export function networkLeaks(
  defaultBridge: string,
  networks: NetworkInfo[],
  portmapIsOurs = false,
): string[] {
  const out: string[] = [];
  const othersBefore = wharfdPids().length;
  const rules = [
    ...iptablesRules("filter"),
    ...iptablesRules("nat"),
    ...iptablesRules("filter", true).map((r) => `ip6tables ${r}`),
    ...iptablesRules("nat", true).map((r) => `ip6tables ${r}`),
  ];
  const own = Object.values(chainNames(defaultBridge));
  for (const r of rules) if (own.some((c) => r.endsWith(`-N ${c}`))) out.push(r);
  for (const r of rules) if (r.includes(`"wharf:${defaultBridge}"`)) out.push(r);
  if (portmapIsOurs && othersBefore === 0 && wharfdPids().length === 0) {
    for (const v6 of [false, true]) {
      const nat = rules.filter((r) => r.startsWith("ip6tables ") === v6);
      const published = nat.some((r) => r.includes("-A CNI-HOSTPORT-DNAT "));
      if (published) continue;
      for (const c of PORTMAP_CHAINS) {
        const decl = nat.find((r) => r.endsWith(`-N ${c}`));
        if (decl) out.push(`${decl} (no port published, no other wharfd running)`);
      }
    }
  }
  if (existsSync(`/sys/class/net/${defaultBridge}/brif`)) {
    for (const port of readdirSync(`/sys/class/net/${defaultBridge}/brif`))
      out.push(`veth ${port} on ${defaultBridge}`);
  }
  for (const n of networks) {
    if (n.Name === "host" || n.Name === "none") continue;
    // CNI portmap rules name the CNI network (wharf-<id>): none may outlive the containers.
    for (const r of rules) if (r.includes(`wharf-${n.Id.slice(0, 12)}`)) out.push(r);
    if (n.Name === "bridge") continue;
    const bridge = n.Options?.["com.docker.network.bridge.name"] || `br-${n.Id.slice(0, 12)}`;
    if (existsSync(`/sys/class/net/${bridge}`)) out.push(`bridge ${bridge}`);
    for (const r of rules) if (r.includes(`"wharf:${bridge}"`)) out.push(r);
  }
  return out;
}

/** The default bridge outlives its daemon, as docker0 does; a test daemon's goes with the test. */
export function removeDefaultBridge(bridge: string): void {
  for (const [table, ipv6] of [
    ["filter", false],
    ["nat", false],
    ["filter", true],
    ["nat", true],
  ] as const) {
    for (const r of iptablesRules(table, ipv6)) {
      if (!r.startsWith("-A ") || !r.includes(`"wharf:${bridge}"`)) continue;
      try {
        // wharf's rules have no spaces inside arguments; only the comment is quoted.
        const args = r
          .slice(3)
          .split(" ")
          .map((a) => a.replace(/^"(.*)"$/, "$1"));
        execFileSync(ipv6 ? "ip6tables" : "iptables", ["-w", "5", "-t", table, "-D", ...args]);
      } catch {
        // already gone
      }
    }
  }
  // A daemon that died before its clean shutdown leaves its chains: they go with the test too.
  const own = chainNames(bridge);
  for (const tool of ["iptables", "ip6tables"]) {
    const run = (args: string[]) => {
      try {
        execFileSync(tool, ["-w", "5", ...args], { stdio: "ignore" });
      } catch {
        // already gone
      }
    };
    run(["-t", "filter", "-D", "FORWARD", "-j", own.forward]);
    run(["-t", "nat", "-D", "POSTROUTING", "-j", own.postrouting]);
    for (const [table, chain] of [
      ["filter", own.forward],
      ["filter", own.isolation1],
      ["filter", own.isolation2],
      ["nat", own.postrouting],
    ] as const) {
      run(["-t", table, "-F", chain]);
      run(["-t", table, "-X", chain]);
    }
  }
  if (existsSync(`/sys/class/net/${bridge}`)) execFileSync("ip", ["link", "del", bridge]);
}

/** A default-bridge name of a test daemon's own, so parallel daemons never share one. */
export function testBridgeName(): string {
  return `wt${randomBytes(4).toString("hex")}`;
}

/**
 * `extraArgs`: more wharfd flags (e.g. networking options) for a daemon of the test's own;
 * `env`: variables to add to its environment (e.g. a PATH that hides a tool).
 */
export async function startDaemon(
  extraArgs: readonly string[] = [],
  env: Readonly<Record<string, string>> = {},
): Promise<TestDaemon> {
  const external = process.env.WHARF_TEST_SOCKET;
  if (external) {
    const api = new TestApi(external);
    await waitForPing(api, undefined, "");
    return {
      socket: external,
      dataRoot: "",
      execRoot: "",
      api,
      owned: false,
      logs: () => "",
      stop: async () => {},
      crash: async () => {
        throw new Error("crash() needs a wharfd started by the test");
      },
      terminate: async () => {
        throw new Error("terminate() needs a wharfd started by the test");
      },
      restart: async () => {},
    };
  }
  const base = mkdtempSync("/tmp/wharf-test-");
  const dataRoot = join(base, "data");
  const execRoot = join(base, "run");
  const socket = join(base, "w.sock");
  // Each test daemon has its own default bridge, so parallel daemons never share one.
  const bridge = testBridgeName();
  // Taken before our own wharfd runs (see networkLeaks).
  const portmapIsOurs = wharfdPids().length === 0 && !portmapChainsExist();
  const logFile = join(base, "wharfd.log");
  const api = new TestApi(socket);
  let child: ChildProcess | undefined;
  const created = new Set<string>();
  let unwatch = () => {};

  const launch = async () => {
    const fd = openSync(logFile, "a");
    child = spawn(
      join(repoRoot, "bin/wharfd"),
      [
        "-H",
        `unix://${socket}`,
        "--data-root",
        dataRoot,
        "--exec-root",
        execRoot,
        "--bridge",
        bridge,
        ...extraArgs,
      ],
      { stdio: ["ignore", fd, fd], env: { ...process.env, WHARF_LOG_LEVEL: "info", ...env } },
    );
    closeSync(fd);
    await waitForPing(api, child, logFile);
    unwatch();
    unwatch = watchCreatedContainers(socket, created);
  };
  const exited = () => (child ? exitOf(child) : Promise.resolve());

  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "");
  try {
    await launch();
  } catch (err) {
    // No TestDaemon reaches the caller, so nothing else would stop this one.
    if (child) await killAndWait(child);
    for (const m of leaks(base).mounts.reverse()) execFileSync("umount", ["-l", m]);
    removeDefaultBridge(bridge);
    rmSync(base, { recursive: true, force: true });
    throw err;
  }
  return {
    socket,
    dataRoot,
    execRoot,
    api,
    owned: true,
    logs: readLog,
    async stop() {
      // Remove every container and network through the API so nothing (conmon, mounts, cgroups,
      // veths, iptables rules) outlives the test.
      let networks: NetworkInfo[] = [];
      const apiCleanup = (async () => {
        const list = await api.ok<Array<{ Id: string }>>("GET", "/containers/json?all=1");
        for (const c of list) await api.call("DELETE", `/containers/${c.Id}?force=1`);
        networks = await api.ok<NetworkInfo[]>("GET", "/networks");
        for (const n of networks) {
          if (!["bridge", "host", "none"].includes(n.Name)) await api.call("DELETE", `/networks/${n.Id}`);
        }
      })(); // a rejection means the daemon may already be gone
      // A wedged daemon must not hang the hook: past the bound it is stopped regardless (which
      // also drops the requests still waiting on it).
      if (!(await settlesWithin(apiCleanup, API_CLEANUP_MS))) {
        process.stderr.write(
          `wharfd did not finish the cleanup API calls within ${API_CLEANUP_MS / 1000} s; its log ends:\n${readLog().slice(-6000)}\n`,
        );
      }
      const diedEarly = child !== undefined && (child.exitCode !== null || child.signalCode !== null);
      if (child && !(await stopChild(child, "SIGTERM", SHUTDOWN_MS))) {
        process.stderr.write(
          `wharfd did not exit within ${SHUTDOWN_MS / 1000} s of SIGTERM and was killed; its log ends:\n${readLog().slice(-6000)}\n`,
        );
      }
      const errors = readLog()
        .split("\n")
        .filter((l) => l.includes('"level":"error"'));
      if (diedEarly || errors.length) {
        process.stderr.write(
          `wharfd ${diedEarly ? "died during the test" : "logged errors"}:\n${errors.join("\n").slice(-6000)}\n`,
        );
      }
      unwatch();
      const leaked = leaks(base);
      for (const m of leaked.mounts.reverse()) execFileSync("umount", ["-l", m]);
      for (const pid of leaked.monitors) process.kill(pid, "SIGKILL");
      const netLeaks = networkLeaks(bridge, networks, portmapIsOurs);
      removeDefaultBridge(bridge);
      // Every container this daemon made was removed above: none may keep a cgroup.
      const cgroups = cgroupLeaks(created);
      for (const dir of cgroups) {
        try {
          rmdirSync(dir); // cgroupfs removes a group (control files and all) with rmdir
        } catch {
          // still has processes: reported below
        }
      }
      rmSync(base, { recursive: true, force: true });
      if (leaked.mounts.length || leaked.monitors.length || netLeaks.length || cgroups.length) {
        throw new Error(
          `the test daemon leaked mounts ${JSON.stringify(leaked.mounts)}, conmon pids ${JSON.stringify(leaked.monitors)}, network state ${JSON.stringify(netLeaks)}, cgroups ${JSON.stringify(cgroups)}`,
        );
      }
    },
    async crash() {
      unwatch();
      child?.kill("SIGKILL");
      await exited();
    },
    async terminate() {
      unwatch();
      child?.kill("SIGTERM");
      await exited();
    },
    async restart() {
      await launch();
    },
  };
}
