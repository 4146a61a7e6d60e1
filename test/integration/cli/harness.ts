// A real wharfd on a temp data root, exec root and socket, plus a runner for bin/wharf.
// Cleanup removes every container through the API before SIGTERM, so no conmon or mount is
// left behind, then unmounts anything still under the temp dir and deletes it.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EngineClient } from "../../../src/client/engine-client.ts";
import { settlesWithin, stopChild } from "../../helpers/bounded.ts";
import { removeDefaultBridge, testBridgeName } from "../../helpers/daemon.ts";

const root = fileURLToPath(new URL("../../../", import.meta.url));
export const wharfBin = join(root, "bin/wharf");
export const wharfdBin = join(root, "bin/wharfd");

export interface Daemon {
  dir: string;
  host: string;
  child: ChildProcess;
  log: () => string;
  stop(): Promise<void>;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long stop() lets the daemon answer its cleanup API calls before it stops it regardless. */
const API_CLEANUP_MS = 60_000;

/** Whether the daemon answers a ping within 2 s (one that accepts but never answers is not up). */
async function pingable(client: EngineClient): Promise<boolean> {
  const answered = client.ping().then(
    () => true,
    () => false,
  );
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), 2000);
  });
  try {
    return await Promise.race([answered, late]);
  } finally {
    clearTimeout(timer);
  }
}

function mountsUnder(dir: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((m) => m.startsWith(dir))
    .sort((a, b) => b.length - a.length);
}

export async function startDaemon(): Promise<Daemon> {
  const dir = mkdtempSync(join(tmpdir(), "wharf-cli-it-"));
  const socket = join(dir, "w.sock");
  const bridge = testBridgeName();
  const host = `unix://${socket}`;
  const child = spawn(
    wharfdBin,
    ["-H", host, "--data-root", join(dir, "data"), "--exec-root", join(dir, "exec"), "--bridge", bridge],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let log = "";
  child.stdout?.on("data", (d: Buffer) => {
    log += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    log += d.toString();
  });
  const client = new EngineClient({ host, env: {} });
  const stop = async () => {
    try {
      const apiCleanup = (async () => {
        if (child.exitCode === null && (await pingable(client))) {
          for (const c of await client.containerList({ all: true })) {
            await client.containerRemove(c.Id, { force: true }).catch(() => undefined);
          }
          const networks = await client.json<Array<{ Id: string; Name: string }>>("GET", "/networks");
          for (const n of networks) {
            if (!["bridge", "host", "none"].includes(n.Name))
              await client.send("DELETE", `/networks/${n.Id}`).catch(() => undefined);
          }
        }
      })();
      // A wedged daemon must not hang the hook: past the bound it is stopped regardless.
      if (!(await settlesWithin(apiCleanup, API_CLEANUP_MS))) {
        process.stderr.write(
          `wharfd did not finish the cleanup API calls within ${API_CLEANUP_MS / 1000} s; its log ends:\n${log.slice(-6000)}\n`,
        );
      }
    } finally {
      client.close(); // drops any request still waiting on the daemon
      if (!(await stopChild(child, "SIGTERM", 10_000))) {
        process.stderr.write(
          `wharfd did not exit within 10 s of SIGTERM and was killed; its log ends:\n${log.slice(-6000)}\n`,
        );
      }
      for (const m of mountsUnder(dir)) {
        await new Promise<void>((resolve) => {
          const umount = spawn("umount", ["-l", m]);
          umount.once("close", () => resolve());
          umount.once("error", () => resolve());
        });
      }
      removeDefaultBridge(bridge);
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const deadline = Date.now() + 20_000;
  while (!(await pingable(client))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`wharfd did not come up:\n${log}`);
    }
    await delay(50);
  }
  return { dir, host, child, log: () => log, stop };
}

/** Runs bin/wharf -H <daemon> …args; kills it after timeoutMs. */
export function wharf(
  host: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(wharfBin, ["-H", host, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 + 9 : -1), stdout, stderr });
    });
    child.stdin.end(opts.input ?? "");
  });
}

/** Retries fn until it returns true (logs arrive asynchronously). */
export async function eventually(fn: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return true;
    await delay(100);
  }
  return false;
}
