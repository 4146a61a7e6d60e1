// Upper bounds for test cleanup and test children: a wedged daemon or a child left running by a
// failed assertion must end the test file with an error, never keep its process alive.
import type { ChildProcess } from "node:child_process";

/**
 * Waits for `work` at most `ms`: true when it settled (resolved or rejected) in time. Its
 * rejection is swallowed — callers use this for best-effort cleanup.
 */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether the child has not exited yet (one that failed to spawn has no pid and never ran). */
export function running(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/** Resolves once the child has exited (at once if it already has). */
export function exitOf(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (!running(child)) resolve();
    else child.once("exit", () => resolve());
  });
}

/** SIGKILLs the child after `ms` unless it exits first. */
export function killAfter(child: ChildProcess, ms: number): void {
  if (!running(child)) return;
  const timer = setTimeout(() => {
    if (running(child)) child.kill("SIGKILL");
  }, ms);
  child.once("exit", () => clearTimeout(timer));
}

/** SIGKILLs the child (if still running) and waits for its exit. */
export async function killAndWait(child: ChildProcess): Promise<void> {
  if (running(child)) child.kill("SIGKILL");
  await exitOf(child);
}

/**
 * Sends `signal`, waits up to `graceMs` for the child to exit, then SIGKILLs it and waits.
 * Resolves false when the SIGKILL was needed.
 */
export async function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals,
  graceMs: number,
): Promise<boolean> {
  if (!running(child)) return true;
  child.kill(signal);
  if (await settlesWithin(exitOf(child), graceMs)) return true;
  child.kill("SIGKILL");
  await exitOf(child);
  return false;
}
