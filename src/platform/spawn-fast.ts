// Starting processes with posix_spawnp(3) through node:ffi. libuv's spawn fork()s,
// which copies the page tables of the whole daemon: with wharfd's ~90 MB that blocks the event
// loop 3–10 ms per spawn, growing with the heap. glibc's posix_spawn uses
// clone(CLONE_VM|CLONE_VFORK) instead, whose cost does not depend on the daemon's size. Used
// for conmon and for the tools exec.ts runs; where FFI is unavailable the functions return
// undefined and callers fall back to child_process.spawn.

import { closeSync } from "node:fs";
import { Socket } from "node:net";
import { text } from "node:stream/consumers";
import { addressOf, type Libc, libc as load } from "./libc.ts";

const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;
const O_RDWR = 2;
const O_CLOEXEC = 0o2000000;
const WNOHANG = 1;

/** A pipe whose both ends close on exec: [read, write]. Undefined without FFI. */
export function pipeFds(): [number, number] | undefined {
  const c = load();
  if (!c) return undefined;
  const fds = Buffer.alloc(8);
  if (c.pipe2(fds, O_CLOEXEC) !== 0) throw new Error("pipe2 failed");
  return [fds.readInt32LE(0), fds.readInt32LE(4)];
}

/** A NULL-terminated char*[]; `keep` holds the strings alive while the pointers are used. */
function cStringArray(strings: string[]): { array: Buffer; keep: Buffer[] } {
  const keep = strings.map((s) => Buffer.from(`${s}\0`));
  const array = Buffer.alloc(8 * (keep.length + 1));
  keep.forEach((b, i) => {
    array.writeBigUInt64LE(addressOf(b), 8 * i);
  });
  return { array, keep };
}

export interface SpawnOptions {
  /** Looked up in PATH like execvp. */
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** The child's fds 0, 1, 2, …: a parent fd to dup there, or null for /dev/null. */
  fds: (number | null)[];
  /** A session of its own (like spawn's `detached`). */
  setsid?: boolean;
}

/**
 * posix_spawnp with signals reset to their defaults and unblocked. Returns the pid, or
 * undefined when FFI is unavailable; throws an error with `code` when it cannot start. The
 * caller must reap the child (waitFor, or spawnDetached which reaps in the background).
 */
function posixSpawn(opts: SpawnOptions): number | undefined {
  const c = load();
  if (!c) return undefined;
  const actions = Buffer.alloc(256); // posix_spawn_file_actions_t is 80 bytes on glibc
  const attr = Buffer.alloc(1024); // posix_spawnattr_t is 336
  const allSignals = Buffer.alloc(128);
  const noSignals = Buffer.alloc(128);
  c.posix_spawn_file_actions_init(actions);
  c.posix_spawnattr_init(attr);
  try {
    c.sigfillset(allSignals);
    c.sigemptyset(noSignals);
    c.posix_spawnattr_setsigdefault(attr, allSignals);
    c.posix_spawnattr_setsigmask(attr, noSignals);
    const flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | (opts.setsid ? POSIX_SPAWN_SETSID : 0);
    c.posix_spawnattr_setflags(attr, flags);
    opts.fds.forEach((fd, target) => {
      if (fd === null) c.posix_spawn_file_actions_addopen(actions, target, "/dev/null", O_RDWR, 0);
      else c.posix_spawn_file_actions_adddup2(actions, fd, target);
    });
    if (opts.cwd) c.posix_spawn_file_actions_addchdir_np(actions, opts.cwd);
    const argv = cStringArray([opts.file, ...opts.args]);
    const envp = cStringArray(
      Object.entries(opts.env)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${v}`),
    );
    const pid = Buffer.alloc(4);
    const rc = c.posix_spawnp(pid, opts.file, actions, attr, argv.array, envp.array);
    if (rc !== 0) {
      const code = rc === 2 ? "ENOENT" : rc === 13 ? "EACCES" : `errno ${rc}`;
      throw Object.assign(new Error(`spawn ${opts.file} ${code}`), { code, path: opts.file });
    }
    return pid.readInt32LE(0);
  } finally {
    c.posix_spawn_file_actions_destroy(actions);
    c.posix_spawnattr_destroy(attr);
  }
}

/** Starts a long-lived child in a session of its own and reaps it in the background. */
export function spawnDetached(opts: Omit<SpawnOptions, "setsid">): number | undefined {
  const pid = posixSpawn({ ...opts, setsid: true });
  if (pid !== undefined) reap(pid);
  return pid;
}

export interface Collected {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a tool to its end with posix_spawn: stdin from `input` (or /dev/null), stdout and stderr
 * collected. Undefined when FFI is unavailable. A killed tool reports code 128, as exec.ts's
 * libuv path does.
 */
export function runCollecting(opts: {
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
}): Promise<Collected> | undefined {
  if (!load()) return undefined;
  const out = pipeFds() as [number, number];
  const err = pipeFds() as [number, number];
  const stdin = opts.input === undefined ? undefined : (pipeFds() as [number, number]);
  let pid: number | undefined;
  try {
    pid = posixSpawn({ ...opts, fds: [stdin ? stdin[0] : null, out[1], err[1]] });
  } catch (e) {
    for (const fd of [out[0], err[0], stdin?.[1]]) if (fd !== undefined) closeSync(fd);
    throw e;
  } finally {
    for (const fd of [out[1], err[1], stdin?.[0]]) if (fd !== undefined) closeSync(fd);
  }
  const childPid = pid as number;
  if (stdin) {
    const sink = new Socket({ fd: stdin[1], readable: false, writable: true });
    // The tool may exit before reading its input; that is its answer, not our crash.
    sink.on("error", () => undefined);
    sink.end(opts.input ?? "");
  }
  const reading = (fd: number) => text(new Socket({ fd, readable: true, writable: false }));
  return Promise.all([reading(out[0]), reading(err[0]), waitFor(childPid)]).then(
    ([stdout, stderr, code]) => ({
      code,
      stdout,
      stderr,
    }),
  );
}

/** Waits for a child started here to exit and reaps it: its exit code, or 128 if killed. */
async function waitFor(pid: number): Promise<number> {
  const c = load() as Libc;
  const status = Buffer.alloc(4);
  // Most tools end within milliseconds: poll fast at first, then back off.
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    const r = c.waitpid(pid, status, WNOHANG);
    if (r === pid) {
      const raw = status.readInt32LE(0);
      return (raw & 0x7f) === 0 ? (raw >> 8) & 0xff : 128;
    }
    if (r < 0) return 128;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

// libuv reaps only the children it started, so ours are collected here: polled with WNOHANG
// on an unref'd timer that runs only while some are outstanding.
const unreaped = new Set<number>();
let reaper: NodeJS.Timeout | undefined;

function reap(pid: number): void {
  unreaped.add(pid);
  reaper ??= setInterval(reapExited, 5).unref();
}

function reapExited(): void {
  const c = load();
  const status = Buffer.alloc(4);
  for (const pid of unreaped) {
    // pid: reaped now; -1: not ours any more (ECHILD). 0: still running.
    if (c?.waitpid(pid, status, WNOHANG) !== 0) unreaped.delete(pid);
  }
  if (unreaped.size === 0 && reaper) {
    clearInterval(reaper);
    reaper = undefined;
  }
}
