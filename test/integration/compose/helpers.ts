// Runs `wharf compose` against a test wharfd in a project directory, and probes which engine
// APIs the daemon implements (networks, volumes, exec, health) so tests assert the right thing.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { EngineClient } from "../../../src/client/engine-client.ts";
import { type CliResult, type Daemon, startDaemon, wharf, wharfBin } from "../cli/harness.ts";

/** A fresh project directory with the given files. */
export function projectDir(files: Record<string, string>, name = "proj"): string {
  const dir = join(mkdtempSync(join(tmpdir(), "wharf-compose-it-")), name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

export interface RunningCompose {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** the exit code (137 when killed by a signal) */
  closed: Promise<number>;
}

/**
 * Starts `wharf -H host compose …args` in cwd, with only the given environment (plus PATH).
 * It is killed after timeoutMs, so a hung or forgotten one cannot keep the test file alive.
 */
export function spawnCompose(
  host: string,
  cwd: string,
  args: string[],
  opts: { env?: Record<string, string>; stdin?: "pipe" | "ignore"; timeoutMs?: number } = {},
): RunningCompose {
  const child = spawn(wharfBin, ["-H", host, "compose", ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", ...opts.env },
    stdio: [opts.stdin ?? "pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
  const closed = new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve(code ?? (signal ? 137 : -1)));
  }).finally(() => clearTimeout(timer));
  return { child, stdout: () => stdout, stderr: () => stderr, closed };
}

/** `wharf -H host compose …args` in cwd to its end, with only the given environment (plus PATH). */
export async function compose(
  host: string,
  cwd: string,
  args: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number; input?: string } = {},
): Promise<CliResult> {
  const run = spawnCompose(host, cwd, args, { env: opts.env, timeoutMs: opts.timeoutMs ?? 90_000 });
  run.child.stdin?.end(opts.input ?? "");
  const code = await run.closed;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** A wharfd with the busybox image, an engine client on it, and project dirs removed at the end. */
export class ComposeFixture {
  daemon!: Daemon;
  client!: EngineClient;
  private readonly dirs: string[] = [];

  async start(): Promise<void> {
    this.daemon = await startDaemon();
    this.client = new EngineClient({ host: this.daemon.host, env: {} });
    const r = await wharf(this.daemon.host, ["image", "bootstrap", "busybox"]);
    assert.equal(r.code, 0, r.stderr);
  }

  /** A project directory holding these files, removed by stop(). */
  dir(files: Record<string, string>, name?: string): string {
    const d = projectDir(files, name);
    this.dirs.push(dirname(d));
    return d;
  }

  async stop(): Promise<void> {
    this.client?.close();
    await this.daemon?.stop();
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** Whether the daemon has a route for the path (a 404 "page not found" means it has none). */
export async function hasEndpoint(client: EngineClient, method: string, path: string): Promise<boolean> {
  try {
    await client.send(method, path);
    return true;
  } catch (err) {
    // 405: the path is known for another method (POST /build probed with GET).
    return !/page not found/.test((err as Error).message);
  }
}

export async function capabilities(
  host: string,
): Promise<{ networks: boolean; volumes: boolean; exec: boolean; build: boolean }> {
  const client = new EngineClient({ host, env: {} });
  try {
    return {
      networks: await hasEndpoint(client, "GET", "/networks"),
      volumes: await hasEndpoint(client, "GET", "/volumes"),
      exec: await hasEndpoint(client, "GET", "/exec/0000000000000000/json"),
      build: await hasEndpoint(client, "GET", "/build"),
    };
  } finally {
    client.close();
  }
}
