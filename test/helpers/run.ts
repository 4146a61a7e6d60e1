// Running a client (docker, skopeo …) without blocking this process: tests that serve a
// registry in-process must keep answering while the client talks to it.
import { spawn } from "node:child_process";

export interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Runs `cmd` with `env` added to ours and `input` on stdin; killed after `timeoutMs`. */
export function runAsync(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env } });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
    // A client that exits without reading its input (EPIPE) is answered by its exit code and
    // stderr, not by a crash of the test.
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.input ?? "");
  });
}
