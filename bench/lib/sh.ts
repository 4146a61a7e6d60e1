// Runs a command to its end with a time limit, capturing its output (for the CLIs, wrk, scripts).
import { spawn } from "node:child_process";

export interface ShResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function sh(
  cmd: string,
  args: readonly string[],
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ShResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: opts.env ?? process.env });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding("utf8").on("data", (s: string) => {
      stderr += s;
      // A chatty command must not grow without bound; the end is what explains a failure.
      if (stderr.length > 1_000_000) stderr = stderr.slice(-100_000);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/**
 * The line of a failed command's stderr that says what went wrong: Node prints its error in the
 * middle of a stack trace and ends with its version, so prefer a line that mentions an error.
 */
export function errorLine(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  return (
    lines.find((l) => /^[\w.]*Error\b/.test(l)) ?? lines.find((l) => /error/i.test(l)) ?? lines.pop() ?? ""
  );
}

/** Like sh, but throws with the command's last stderr line unless it exits 0. */
export async function shOk(cmd: string, args: readonly string[], timeoutMs?: number): Promise<ShResult> {
  const r = await sh(cmd, args, { timeoutMs });
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.slice(0, 3).join(" ")}… exited ${r.code}: ${errorLine(r.stderr)}`);
  }
  return r;
}

export async function which(cmd: string): Promise<string | undefined> {
  const r = await sh("sh", ["-c", `command -v ${cmd}`]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
