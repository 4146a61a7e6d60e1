// wharfd under test: started from this checkout (bin/wharfd) on a socket, data root, exec root
// and default bridge of this run's own (so two runs, or a run beside the tests, never share
// one); stopped with SIGTERM and all of them removed at the end of the run.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
} from "node:fs";
import { join } from "node:path";
import { chainNames } from "../../src/engine/network/firewall.ts";
import { ApiClient } from "../lib/api.ts";
import { resetDaemon } from "../lib/engine.ts";
import { listProcesses, pidAlive } from "../lib/proc.ts";
import { reasonOf } from "../lib/results.ts";
import { errorLine, sh, sleep } from "../lib/sh.ts";
import { absentTarget } from "./absent.ts";
import { startWharfRegistry } from "./registry.ts";
import type { Target } from "./target.ts";

const REPO_ROOT = new URL("../..", import.meta.url).pathname;
/** Where each run makes its own directories: the socket's and exec root's, and the data root's. */
/** Where each run's wharfd directories and the run lock live. */
export const RUN_PARENT = process.env.WHARF_BENCH_RUN ?? "/run/wharf-bench";
const DATA_PARENT = process.env.WHARF_BENCH_WHARF_DATA ?? "/var/lib/wharf-bench";

/** One run's wharfd: everything here is made by the run and removed at its end. */
interface RunPaths {
  /** holds the socket, the exec root and the log while the run lasts */
  runDir: string;
  socket: string;
  execRoot: string;
  dataRoot: string;
  /** default bridge; wharfd names its iptables chains after it */
  bridge: string;
  log: string;
}

function runPaths(): RunPaths {
  mkdirSync(RUN_PARENT, { recursive: true });
  mkdirSync(DATA_PARENT, { recursive: true });
  const runDir = mkdtempSync(join(RUN_PARENT, "wharf-"));
  return {
    runDir,
    socket: join(runDir, "wharf.sock"),
    execRoot: join(runDir, "exec"),
    dataRoot: mkdtempSync(join(DATA_PARENT, "wharf-")),
    bridge: `wb${randomBytes(4).toString("hex")}`,
    log: join(runDir, "wharf.log"),
  };
}

/**
 * Containers outlive wharfd by design (conmon keeps them for live restore). When wharfd died
 * before removing them, end them here: they are ours by the roots in their command lines.
 */
async function reapContainers(paths: RunPaths): Promise<void> {
  const ours = (p: { cmdline: string[] }) =>
    p.cmdline.some((a) => a.includes(paths.execRoot) || a.includes(paths.dataRoot));
  const runtimesDir = `${paths.execRoot}/runtimes`;
  const runtimes = existsSync(runtimesDir) ? readdirSync(runtimesDir) : [];
  for (const rt of runtimes) {
    const bin = rt === "crun" ? "crun" : "runc";
    const root = `${runtimesDir}/${rt}`;
    const list = await sh(bin, ["--root", root, "list", "-q"]).catch(() => undefined);
    for (const id of list?.stdout.split("\n").filter(Boolean) ?? []) {
      await sh(bin, ["--root", root, "delete", "--force", id]).catch(() => undefined);
    }
  }
  for (const p of listProcesses().filter((p) => p.comm === "conmon" && ours(p))) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

class WharfTarget implements Target {
  readonly name = "wharf" as const;
  readonly socketPath: string;
  unavailable?: string;
  readonly api: ApiClient;
  private child?: ChildProcess;
  private stderr = "";
  private readonly paths: RunPaths;

  constructor(paths: RunPaths) {
    this.paths = paths;
    this.socketPath = paths.socket;
    this.api = new ApiClient(paths.socket);
  }

  newClient(): ApiClient {
    return new ApiClient(this.socketPath);
  }

  cli(): { cmd: string; args: string[] } {
    return { cmd: join(REPO_ROOT, "bin/wharf"), args: ["-H", `unix://${this.socketPath}`] };
  }

  daemonPids(): number[] {
    const pid = this.child?.pid;
    return pid && pidAlive(pid) ? [pid] : [];
  }

  monitorPids(containerIds: readonly string[]): number[] {
    return listProcesses()
      .filter((p) => p.comm === "conmon")
      .filter((p) => containerIds.some((id) => p.cmdline.includes(id)))
      .map((p) => p.pid);
  }

  startRegistry(root: string, port: number) {
    return startWharfRegistry(root, port);
  }

  died(): string | undefined {
    const c = this.child;
    if (!c || (c.exitCode === null && c.signalCode === null)) return undefined;
    const how = c.signalCode ?? `code ${c.exitCode}`;
    return `wharfd exited (${how}) mid-run: ${errorLine(this.stderr) || "no message"}`;
  }

  async versions(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    try {
      const v = await this.api.json<{ Version: string; ApiVersion?: string }>("GET", "/version");
      out.daemon = `wharf ${v.Version}`;
      if (v.ApiVersion) out.api = v.ApiVersion;
    } catch (err) {
      out.daemon = `unknown (${reasonOf(err)})`;
    }
    try {
      const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
      out.package = pkg.version;
    } catch {
      // no package.json: leave it out
    }
    out.node = process.version;
    return out;
  }

  async start(): Promise<void> {
    const main = join(REPO_ROOT, "src/daemon/main.ts");
    if (!existsSync(main)) throw new Error("src/daemon/main.ts does not exist yet");
    const p = this.paths;
    mkdirSync(p.execRoot, { recursive: true });
    const child = spawn(
      join(REPO_ROOT, "bin/wharfd"),
      [
        "--host",
        `unix://${p.socket}`,
        "--data-root",
        p.dataRoot,
        "--exec-root",
        p.execRoot,
        "--bridge",
        p.bridge,
        ...extraDaemonArgs(),
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    this.child = child;
    // Kept in full (and copied beside docker.log at the end) for whoever has to find out why
    // wharfd failed.
    const logFile = createWriteStream(p.log);
    child.stderr?.setEncoding("utf8").on("data", (s: string) => {
      this.stderr = (this.stderr + s).slice(-8000);
      logFile.write(s);
    });
    child.on("close", () => logFile.end());
    let exited = false;
    child.on("exit", () => {
      exited = true;
    });
    const end = Date.now() + 30_000;
    while (Date.now() < end) {
      if (exited) break;
      const ok = await this.api.call("GET", "/_ping", { timeoutMs: 1000 }).then(
        () => true,
        () => false,
      );
      if (ok) return;
      await sleep(100);
    }
    throw new Error(exited ? errorLine(this.stderr) || "exited at once" : "no answer on its socket in 30 s");
  }

  async stop(): Promise<void> {
    if (!this.unavailable) await resetDaemon(this.api).catch(() => {});
    this.api.close();
    const child = this.child;
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await gone;
      clearTimeout(timer);
    }
    const p = this.paths;
    await reapContainers(p);
    if (existsSync(p.log)) copyFileSync(p.log, join(RUN_PARENT, "wharf.log"));
    // Everything this run made, also when wharfd died before its own clean-up.
    for (const dir of [p.execRoot, p.dataRoot, p.runDir]) {
      const mounts = readFileSync("/proc/mounts", "utf8")
        .split("\n")
        .map((l) => l.split(" ")[1] ?? "")
        .filter((m) => m.startsWith(`${dir}/`))
        .sort()
        .reverse();
      for (const m of mounts) await sh("umount", ["-l", m]);
      await sh("rm", ["-rf", "--one-file-system", dir]);
    }
    await sh("ip", ["link", "del", p.bridge]);
    await removeBridgeRules(p.bridge);
  }
}

/**
 * Refreshes the type-stripped build in dist/ when a source is newer (the launchers' own test):
 * bin/wharfd and bin/wharf otherwise type-strip src/ at run time, which costs start-up time and
 * ~35 MiB of RSS per process — not what an installed wharf pays. Called once per bench run,
 * before any wharf process starts (a rebuild replaces dist/ under running processes).
 */
export function refreshBuildIfStale(): void {
  const stamp = join(REPO_ROOT, "dist/.stamp");
  const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
  // The launchers' rule: a source, generated .js or data .json under src/ newer than the stamp.
  const newer = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((e) =>
      e.isDirectory()
        ? newer(join(dir, e.name))
        : /\.(ts|js|json)$/.test(e.name) && statSync(join(dir, e.name)).mtimeMs > built,
    );
  if (built > 0 && !newer(join(REPO_ROOT, "src"))) return;
  execFileSync(
    process.execPath,
    ["--disable-warning=ExperimentalWarning", join(REPO_ROOT, "scripts/build.ts")],
    {
      stdio: "ignore",
    },
  );
}

/**
 * Starts wharfd from this checkout; never throws (a failure becomes `unavailable`). `created`
 * gets the target before the daemon starts, so an interrupt mid-start still cleans it up.
 */
export async function startWharf(created: (t: Target) => void): Promise<Target> {
  let t: WharfTarget;
  try {
    t = new WharfTarget(runPaths());
  } catch (err) {
    const absent = absentTarget("wharf", `no run directories: ${reasonOf(err)}`);
    created(absent);
    return absent;
  }
  created(t);
  try {
    await t.start();
  } catch (err) {
    t.unavailable = `wharfd did not start: ${reasonOf(err)}`;
  }
  return t;
}

/**
 * A wharfd that stopped cleanly with nothing running removed its rules and chains itself; one
 * that died did not. Its rules carry the comment "wharf:<bridge>" and its chains are named
 * after the bridge (this run's own): delete exactly those, in iptables and ip6tables.
 */
async function removeBridgeRules(bridge: string): Promise<void> {
  const own = chainNames(bridge);
  for (const tool of ["iptables", "ip6tables"]) {
    for (const table of ["filter", "nat"]) {
      const listed = await sh(tool, ["-w", "5", "-t", table, "-S"]);
      for (const rule of listed.stdout.split("\n")) {
        if (!rule.startsWith("-A ") || !rule.includes(`"wharf:${bridge}"`)) continue;
        // Only the comment is quoted in wharf's rules; no argument holds a space.
        const args = rule
          .slice(3)
          .split(" ")
          .map((a) => a.replace(/^"(.*)"$/, "$1"));
        await sh(tool, ["-w", "5", "-t", table, "-D", ...args]);
      }
    }
    await sh(tool, ["-w", "5", "-t", "filter", "-D", "FORWARD", "-j", own.forward]);
    await sh(tool, ["-w", "5", "-t", "nat", "-D", "POSTROUTING", "-j", own.postrouting]);
    for (const [table, chain] of [
      ["filter", own.forward],
      ["filter", own.isolation1],
      ["filter", own.isolation2],
      ["nat", own.postrouting],
    ]) {
      await sh(tool, ["-w", "5", "-t", table, "-F", chain]);
      await sh(tool, ["-w", "5", "-t", table, "-X", chain]);
    }
  }
}

/** WHARF_BENCH_WHARFD_ARGS: extra wharfd flags for one run (e.g. "--max-concurrent-downloads 8"). */
function extraDaemonArgs(): string[] {
  return (process.env.WHARF_BENCH_WHARFD_ARGS ?? "").split(/\s+/).filter((a) => a !== "");
}
