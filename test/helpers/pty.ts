// Runs a CLI on a pseudo-terminal (test/helpers/pty-session.py) and plays steps against it: what to
// wait for, what to type, how to resize the terminal.
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export type PtyStep =
  | { expect: string }
  | { send: string }
  | { resize: [number, number] }
  /** Sends `send` every half second until `until` shows. */
  | { until: string; send: string };

export interface PtyResult {
  output: string;
  exit: number;
  /** The step that was never satisfied, or null. */
  failed: PtyStep | null;
}

export const hasPython = spawnSync("python3", ["--version"]).status === 0;

export function runOnPty(cmd: string[], size: [number, number], steps: PtyStep[]): PtyResult {
  const helper = join(import.meta.dirname, "pty-session.py");
  const r = spawnSync("python3", [helper, String(size[0]), String(size[1]), JSON.stringify(steps), ...cmd], {
    encoding: "utf8",
    timeout: 90_000,
    killSignal: "SIGKILL",
  });
  if (r.status !== 0) throw new Error(`pty helper failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as PtyResult;
}
