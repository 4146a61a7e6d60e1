// wharfd under test: started from this checkout (bin/wharfd) on its own socket, data root and
// exec root; stopped with SIGTERM and its directories removed at the end of the run.
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ApiClient } from "../lib/api.ts";
import { resetDaemon } from "../lib/engine.ts";
import { listProcesses, pidAlive } from "../lib/proc.ts";
import { reasonOf } from "../lib/results.ts";
import { errorLine, sh, sleep } from "../lib/sh.ts";
import { startWharfRegistry } from "./registry.ts";
import type { Target } from "./target.ts";

const REPO_ROOT = new URL("../..", import.meta.url).pathname;
const RUN_DIR = process.env.WHARF_BENCH_RUN ?? "/run/wharf-bench";
const SOCKET = `${RUN_DIR}/wharf.sock`;
const DATA_ROOT = process.env.WHARF_BENCH_WHARF_DATA ?? "/var/lib/wharf-bench/wharf";
const EXEC_ROOT = `${RUN_DIR}/wharf`;
const BRIDGE = "wharf0";

/**
 * Containers outlive wharfd by design (conmon keeps them for live restore). When wharfd died
 * before removing them, end them here: they are ours by the roots in their command lines.
 */
async function reapContainers(): Promise<void> {
  const ours = (p: { cmdline: string[] }) =>
    p.cmdline.some((a) => a.includes(EXEC_ROOT) || a.includes(DATA_ROOT));
  const runtimesDir = `${EXEC_ROOT}/runtimes`;
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
  readonly socketPath = SOCKET;
  unavailable?: string;
  readonly api = new ApiClient(SOCKET);
  private child?: ChildProcess;
  private stderr = "";
  private bridgeExisted = true;

  newClient(): ApiClient {
    return new ApiClient(SOCKET);
  }

  cli(): { cmd: string; args: string[] } {
    return { cmd: join(REPO_ROOT, "bin/wharf"), args: ["-H", `unix://${SOCKET}`] };
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
    this.bridgeExisted = (await sh("ip", ["link", "show", BRIDGE])).code === 0;
    mkdirSync(RUN_DIR, { recursive: true });
    mkdirSync(DATA_ROOT, { recursive: true });
    mkdirSync(EXEC_ROOT, { recursive: true });
    const child = spawn(
      join(REPO_ROOT, "bin/wharfd"),
      [
        "--host",
        `unix://${SOCKET}`,
        "--data-root",
        DATA_ROOT,
        "--exec-root",
        EXEC_ROOT,
        ...extraDaemonArgs(),
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    this.child = child;
    // Kept in full beside docker.log, for whoever has to find out why wharfd failed.
    const logFile = createWriteStream(`${RUN_DIR}/wharf.log`);
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
    await reapContainers();
    // Only what this run made: its own roots, and wharf0 if it did not exist before.
    for (const dir of [EXEC_ROOT, DATA_ROOT]) {
      const mounts = readFileSync("/proc/mounts", "utf8")
        .split("\n")
        .map((l) => l.split(" ")[1] ?? "")
        .filter((m) => m.startsWith(`${dir}/`))
        .sort()
        .reverse();
      for (const m of mounts) await sh("umount", ["-l", m]);
      await sh("rm", ["-rf", "--one-file-system", dir]);
    }
    await sh("rm", ["-f", SOCKET]);
    if (!this.bridgeExisted) {
      await sh("ip", ["link", "del", BRIDGE]);
      await removeBridgeRules(BRIDGE);
    }
  }
}

/** Starts wharfd from this checkout; never throws (a failure becomes `unavailable`). */
export async function startWharf(): Promise<Target> {
  const t = new WharfTarget();
  try {
    await t.start();
  } catch (err) {
    t.unavailable = `wharfd did not start: ${reasonOf(err)}`;
  }
  return t;
}

/** wharfd's iptables rules for a bridge carry the comment "wharf:<bridge>"; delete exactly those. */
async function removeBridgeRules(bridge: string): Promise<void> {
  for (const table of ["filter", "nat"]) {
    const listed = await sh("iptables", ["-w", "5", "-t", table, "-S"]);
    for (const rule of listed.stdout.split("\n")) {
      if (!rule.startsWith("-A ") || !rule.includes(`"wharf:${bridge}"`)) continue;
      // Only the comment is quoted in wharf's rules; no argument holds a space.
      const args = rule
        .slice(3)
        .split(" ")
        .map((a) => a.replace(/^"(.*)"$/, "$1"));
      await sh("iptables", ["-w", "5", "-t", table, "-D", ...args]);
    }
  }
}

/** WHARF_BENCH_WHARFD_ARGS: extra wharfd flags for one run (e.g. "--max-concurrent-downloads 8"). */
function extraDaemonArgs(): string[] {
  return (process.env.WHARF_BENCH_WHARFD_ARGS ?? "").split(/\s+/).filter((a) => a !== "");
}
