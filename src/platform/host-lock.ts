// A lock shared by every process on the host, held by a `flock` child: the kernel releases it
// when that child goes, which it does when our end of its stdin closes — also when wharfd
// itself is killed — so a crashed daemon never leaves the lock taken.
import { spawn } from "node:child_process";
import { once } from "node:events";

export class HostLockError extends Error {}

/** Runs `fn` holding an exclusive flock on `path` (created if missing), waiting at most `waitSeconds`. */
export async function withHostLock<T>(path: string, fn: () => Promise<T>, waitSeconds = 30): Promise<T> {
  const holder = spawn(
    "flock",
    ["-x", "-w", String(waitSeconds), path, "sh", "-c", "echo; exec cat >/dev/null"],
    {
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  holder.stdin.on("error", () => undefined);
  const exited = once(holder, "close").catch(() => undefined);
  const locked = await Promise.race([
    once(holder.stdout, "data").then(() => true),
    once(holder, "close").then(() => false),
    once(holder, "error").then(() => false),
  ]).catch(() => false);
  if (!locked) {
    holder.stdin.end();
    throw new HostLockError(`cannot lock ${path} within ${waitSeconds} s (flock)`);
  }
  try {
    return await fn();
  } finally {
    holder.stdin.end();
    await exited;
  }
}
