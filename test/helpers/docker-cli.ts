// The real docker CLI, run synchronously against a daemon's socket, for the compat tests.
import { spawnSync } from "node:child_process";

export interface DockerResult {
  code: number | null;
  out: string;
  err: string;
}

/**
 * `docker -H unix://<socket> …args`. The socket is read at each call (the daemon starts in
 * before()). SIGKILL at the timeout: an attached `docker run` forwards SIGTERM to its container
 * and keeps running, and spawnSync would block the whole test process meanwhile.
 */
export function dockerAgainst(socket: () => string, timeoutMs = 60_000): (...args: string[]) => DockerResult {
  return (...args) => {
    const r = spawnSync("docker", ["-H", `unix://${socket()}`, ...args], {
      encoding: "utf8",
      timeout: timeoutMs,
      killSignal: "SIGKILL",
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
}
