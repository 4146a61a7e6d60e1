// Runs `wharf compose` against a test wharfd in a project directory, and probes which engine
// APIs the daemon implements (networks, volumes, exec, health) so tests assert the right thing.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EngineClient } from "../../../src/client/engine-client.ts";
import { type CliResult, wharfBin } from "../cli/harness.ts";

/** A fresh project directory with the given files. */
export function projectDir(files: Record<string, string>, name = "proj"): string {
  const dir = join(mkdtempSync(join(tmpdir(), "wharf-compose-it-")), name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

/** `wharf -H host compose …args` in cwd, with only the given environment (plus PATH). */
export function compose(
  host: string,
  cwd: string,
  args: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number; input?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(wharfBin, ["-H", host, "compose", ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", ...opts.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 90_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 137 : -1), stdout, stderr });
    });
    child.stdin.end(opts.input ?? "");
  });
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
