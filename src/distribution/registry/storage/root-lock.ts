// One process owns a registry root at a time: the server, or an offline gc. The lock file
// names the owner's pid (a dead owner's lock is taken over) and, for a server, the admin
// socket through which `wharf registry gc` asks it to collect garbage.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";

export interface LockOwner {
  pid: number;
  /** Admin socket of a running server. */
  admin?: string;
}

export class RootBusyError extends Error {
  readonly owner: LockOwner;

  constructor(path: string, owner: LockOwner) {
    super(`registry root is in use by pid ${owner.pid} (${path})`);
    this.name = "RootBusyError";
    this.owner = owner;
  }
}

export interface RootLock {
  release(): void;
}

export function acquireRootLock(path: string, owner: LockOwner): RootLock {
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, "wx", 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const current = readLockOwner(path);
      if (current && isAlive(current.pid) && current.pid !== process.pid)
        throw new RootBusyError(path, current);
      // An unreadable lock that is brand new is another process still writing it.
      if (!current && Date.now() - mtimeOf(path) < 5000) throw new RootBusyError(path, { pid: 0 });
      // Stale lock of a process that died (a crash, a SIGKILL): take it over.
      rmSync(path, { force: true });
      continue;
    }
    writeSync(fd, JSON.stringify(owner));
    fsyncSync(fd);
    closeSync(fd);
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        if (readLockOwner(path)?.pid === owner.pid) rmSync(path, { force: true });
      },
    };
  }
  throw new Error(`cannot acquire registry lock ${path}`);
}

export function readLockOwner(path: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<LockOwner>;
    if (typeof parsed.pid !== "number") return undefined;
    return { pid: parsed.pid, ...(typeof parsed.admin === "string" ? { admin: parsed.admin } : {}) };
  } catch {
    return undefined;
  }
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
