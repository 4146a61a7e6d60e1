// The reference Docker: Debian's dockerd, installed and started by bench/docker-reference.sh on
// its own socket and data root; stopped and purged at the end of the run when the run started it.
import { readFileSync } from "node:fs";
import { ApiClient } from "../lib/api.ts";
import { resetDaemon } from "../lib/engine.ts";
import { childrenNamed, listProcesses, pidAlive } from "../lib/proc.ts";
import { reasonOf } from "../lib/results.ts";
import { sh, which } from "../lib/sh.ts";
import { startDistribution } from "./registry.ts";
import type { Target } from "./target.ts";

const SCRIPT = new URL("../docker-reference.sh", import.meta.url).pathname;
const RUN_DIR = process.env.WHARF_BENCH_RUN ?? "/run/wharf-bench";
const SOCKET = `${RUN_DIR}/docker.sock`;
const PIDFILE = `${RUN_DIR}/docker.pid`;

function lastLine(text: string): string {
  return (
    text
      .trim()
      .split("\n")
      .filter((l) => l.trim())
      .pop() ?? ""
  );
}

async function script(args: string[], timeoutMs: number): Promise<void> {
  const r = await sh("sh", [SCRIPT, ...args], { timeoutMs });
  if (r.code !== 0) throw new Error(lastLine(r.stderr) || `docker-reference.sh ${args[0]} exited ${r.code}`);
}

function dockerdPid(): number | undefined {
  try {
    const pid = Number(readFileSync(PIDFILE, "utf8").trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

class DockerTarget implements Target {
  readonly name = "docker" as const;
  readonly socketPath = SOCKET;
  unavailable?: string;
  readonly api = new ApiClient(SOCKET);
  private started = false;

  newClient(): ApiClient {
    return new ApiClient(SOCKET);
  }

  cli(): { cmd: string; args: string[] } {
    return { cmd: "docker", args: ["-H", `unix://${SOCKET}`] };
  }

  daemonPids(): number[] {
    const pid = dockerdPid();
    return pid ? [pid, ...childrenNamed(pid, "containerd")] : [];
  }

  monitorPids(containerIds: readonly string[]): number[] {
    const ids = new Set(containerIds);
    // comm is cut to 15 characters: containerd-shim-runc-v2 shows as "containerd-shim".
    return listProcesses()
      .filter((p) => p.comm.startsWith("containerd-shim"))
      .filter((p) => {
        const i = p.cmdline.indexOf("-id");
        return i >= 0 && ids.has(p.cmdline[i + 1] ?? "");
      })
      .map((p) => p.pid);
  }

  startRegistry(root: string, port: number) {
    return startDistribution(root, port);
  }

  died(): string | undefined {
    const pid = dockerdPid();
    return pid && pidAlive(pid) ? undefined : "dockerd exited mid-run (see /run/wharf-bench/docker.log)";
  }

  async versions(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    try {
      const v = await this.api.json<{ Version: string; Components?: { Name: string; Version: string }[] }>(
        "GET",
        "/version",
      );
      out.daemon = `Docker ${v.Version}`;
      for (const c of v.Components ?? []) if (c.Name !== "Engine") out[c.Name] = c.Version;
    } catch (err) {
      out.daemon = `unknown (${reasonOf(err)})`;
    }
    const cli = await sh("docker", ["version", "--format", "{{.Client.Version}}"], {
      timeoutMs: 10_000,
    }).catch(() => undefined);
    if (cli?.stdout.trim()) out.cli = `docker CLI ${cli.stdout.trim()}`;
    return out;
  }

  async start(install: boolean): Promise<void> {
    // The script installs docker.io, docker-registry and wrk together; only dockerd is vital.
    const missing = !(await which("dockerd")) || !(await which("docker-registry")) || !(await which("wrk"));
    if (missing && install) {
      await script(["install"], 600_000).catch((err: unknown) => {
        process.stderr.write(`bench: installing docker.io/docker-registry/wrk failed: ${reasonOf(err)}\n`);
      });
    }
    if (!(await which("dockerd"))) {
      throw new Error("docker.io is not installed (as root: bench/docker-reference.sh install)");
    }
    // A reference dockerd that already answers belongs to someone else (a CI step, another
    // run): use it, and leave it running and its data alone afterwards.
    const running = await script(["status"], 10_000).then(
      () => true,
      () => false,
    );
    if (running) return;
    this.started = true;
    // With Docker's NAT rules, so the network group can measure its iptables path too.
    await script(["start", "--iptables"], 60_000);
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    if (!this.unavailable) await resetDaemon(this.api).catch(() => {});
    this.api.close();
    await script(["stop", "--purge"], 90_000).catch((err: unknown) => {
      process.stderr.write(`bench: stopping the reference dockerd: ${reasonOf(err)}\n`);
    });
  }
}

/** Installs (when allowed and missing) and starts the reference dockerd; never throws. */
export async function startDocker(install: boolean): Promise<Target> {
  const t = new DockerTarget();
  try {
    await t.start(install);
  } catch (err) {
    t.unavailable = `Docker did not start: ${reasonOf(err)}`;
  }
  return t;
}
