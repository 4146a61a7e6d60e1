// Spawning system tools (mount, runc, conmon, …) and collecting their output.
import { spawn } from "node:child_process";
import { runCollecting } from "./spawn-fast.ts";

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  readonly result: ExecResult;
  constructor(cmd: string, args: string[], result: ExecResult) {
    const detail = (result.stderr || result.stdout).trim();
    super(`${cmd} ${args.join(" ")}: exit ${result.code}${detail ? `: ${detail}` : ""}`);
    this.result = result;
  }
}

export function execFile(
  cmd: string,
  args: string[],
  opts: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ExecResult> {
  // posix_spawn where node:ffi allows (see spawn-fast.ts), else libuv's fork-based spawn.
  let fast: Promise<ExecResult> | undefined;
  try {
    fast = runCollecting({ file: cmd, args, env: opts.env ?? process.env, cwd: opts.cwd, input: opts.input });
  } catch (err) {
    return Promise.reject(err);
  }
  if (fast) return fast;
  return new Promise((resolve, reject) => {
    const input = opts.input === undefined ? "ignore" : "pipe";
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: [input, "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on("data", (c: Buffer) => out.push(c));
    child.stderr?.on("data", (c: Buffer) => err.push(c));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
    if (child.stdin) {
      // The tool may exit before reading its input; that is its answer, not our crash.
      child.stdin.on("error", () => undefined);
      child.stdin.end(opts.input);
    }
  });
}

/** Runs a command and throws a CommandError carrying its stderr when it fails. */
export async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; input?: string } = {},
): Promise<string> {
  const result = await execFile(cmd, args, opts);
  if (result.code !== 0) throw new CommandError(cmd, args, result);
  return result.stdout;
}
