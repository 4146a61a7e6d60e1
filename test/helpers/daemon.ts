// Starts a real wharfd for a test on its own temp data root, exec root and socket — or, when
// WHARF_TEST_SOCKET is set, uses that daemon (e.g. a reference dockerd) instead, so the same
// compat tests show where wharf and Docker differ.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { TestApi } from "./api.ts";

const repoRoot = join(import.meta.dirname, "..", "..");

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
      const res = await api.call("GET", "/_ping", undefined, { raw: true });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("wharfd did not answer /_ping within 20 s");
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

export async function startDaemon(): Promise<TestDaemon> {
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
      restart: async () => {},
    };
  }
  const base = mkdtempSync("/tmp/wharf-test-");
  const dataRoot = join(base, "data");
  const execRoot = join(base, "run");
  const socket = join(base, "w.sock");
  const logFile = join(base, "wharfd.log");
  const api = new TestApi(socket);
  let child: ChildProcess | undefined;

  const launch = async () => {
    const fd = openSync(logFile, "a");
    child = spawn(
      join(repoRoot, "bin/wharfd"),
      ["-H", `unix://${socket}`, "--data-root", dataRoot, "--exec-root", execRoot],
      { stdio: ["ignore", fd, fd], env: { ...process.env, WHARF_LOG_LEVEL: "info" } },
    );
    closeSync(fd);
    await waitForPing(api, child, logFile);
  };
  const exited = () =>
    new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once("exit", () => resolve());
    });

  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "");
  await launch();
  return {
    socket,
    dataRoot,
    execRoot,
    api,
    owned: true,
    logs: readLog,
    async stop() {
      // Remove every container through the API so nothing (conmon, mounts, cgroups) outlives the test.
      try {
        const list = await api.ok<Array<{ Id: string }>>("GET", "/containers/json?all=1");
        for (const c of list) await api.call("DELETE", `/containers/${c.Id}?force=1`);
      } catch {
        // the daemon may already be gone
      }
      const diedEarly = child !== undefined && (child.exitCode !== null || child.signalCode !== null);
      child?.kill("SIGTERM");
      await exited();
      const errors = readLog()
        .split("\n")
        .filter((l) => l.includes('"level":"error"'));
      if (diedEarly || errors.length) {
        process.stderr.write(
          `wharfd ${diedEarly ? "died during the test" : "logged errors"}:\n${errors.join("\n").slice(-6000)}\n`,
        );
      }
      const leaked = leaks(base);
      for (const m of leaked.mounts.reverse()) execFileSync("umount", ["-l", m]);
      for (const pid of leaked.monitors) process.kill(pid, "SIGKILL");
      rmSync(base, { recursive: true, force: true });
      if (leaked.mounts.length || leaked.monitors.length) {
        throw new Error(
          `the test daemon leaked mounts ${JSON.stringify(leaked.mounts)} and conmon pids ${JSON.stringify(leaked.monitors)}`,
        );
      }
    },
    async crash() {
      child?.kill("SIGKILL");
      await exited();
    },
    async restart() {
      await launch();
    },
  };
}
