// Runs `node src/distribution/registry/main.ts …` (or `wharf registry …`) as a child process, as
// operators would.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { exitOf, killAfter, settlesWithin } from "../../helpers/bounded.ts";

export const MAIN = fileURLToPath(new URL("../../../src/distribution/registry/main.ts", import.meta.url));
/** The `wharf` CLI launcher: `wharf registry …` runs the same commands. */
export const WHARF = fileURLToPath(new URL("../../../bin/wharf", import.meta.url));

/** Longer than any one test may run (--test-timeout=300000): a registry serves one test. */
const MAX_LIFE_MS = 600_000;

/** How to start the registry: its own entry point, or through `wharf registry`. */
function command(launcher: "main" | "wharf", args: string[]): [string, string[]] {
  return launcher === "wharf"
    ? [WHARF, ["registry", ...args]]
    : [process.execPath, ["--disable-warning=ExperimentalWarning", MAIN, ...args]];
}

export interface RegistryProcess {
  child: ChildProcess;
  url: string;
  pid: number;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
  /** Kills the process (if still running) and waits for it. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export async function spawnRegistry(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  launcher: "main" | "wharf" = "main",
): Promise<RegistryProcess> {
  const [cmd, argv] = command(launcher, ["serve", ...args]);
  const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  // A test that times out never reaches the finally that stops it: past any test's timeout the
  // registry is killed, so it cannot keep the test file alive.
  killAfter(child, MAX_LIFE_MS);
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal ?? -1));
  });
  const started = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`registry did not start: ${err}`)), 15_000);
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      const match = err.match(/serving (https?:\/\/[^\s]+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`registry exited (${code}) before serving: ${err}`));
    });
  });
  let url: string;
  try {
    url = await started;
  } catch (e) {
    // The caller gets no handle to stop it with: a registry that never served must not outlive this.
    child.kill("SIGKILL");
    await exitOf(child);
    throw e;
  }
  return {
    child,
    url,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      // One that ignores the signal is SIGKILLed, so the caller sees "SIGKILL" instead of hanging.
      if (!(await settlesWithin(exited, 30_000))) child.kill("SIGKILL");
      return exited;
    },
  };
}

/** Runs a registry CLI command to completion; it is SIGKILLed after timeoutMs. */
export function runRegistryCli(
  args: string[],
  launcher: "main" | "wharf" = "main",
  timeoutMs = 120_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const [cmd, argv] = command(launcher, args);
    const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
    killAfter(child, timeoutMs);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
