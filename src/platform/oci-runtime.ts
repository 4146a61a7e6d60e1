// The container process lifecycle through conmon and an OCI runtime (runc or crun): conmon
// runs `<runtime> create`, then stays as the container's monitor (stdio, log file, exit file),
// so containers outlive wharfd.
import { spawn } from "node:child_process";
import { closeSync, constants, existsSync, openSync } from "node:fs";
import {
  lstat,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  readlink,
  rm,
  rmdir,
  symlink,
  writeFile,
} from "node:fs/promises";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { execFile, run } from "./exec.ts";
import { alive, procStat } from "./proc.ts";
import { pipeFds, spawnDetached } from "./spawn-fast.ts";

export interface CreateOptions {
  id: string;
  bundle: string;
  logPath: string;
  exitDir: string;
  socketDir: string;
  terminal: boolean;
  stdin: boolean;
  /** Keep stdin open when an attached client disconnects (no StdinOnce, or a TTY). */
  leaveStdinOpen?: boolean;
  logSizeMax: number;
}

export interface ExecOptions {
  /** The container's ID (the runtime's name for it). */
  containerId: string;
  execId: string;
  /** A directory of its own: process spec, log, pid and exit files, conmon's fifos. */
  dir: string;
  processSpecPath: string;
  socketDir: string;
  terminal: boolean;
  stdin: boolean;
  leaveStdinOpen: boolean;
}

export interface Created {
  pid: number;
  conmonPid: number;
}

export class RuntimeCreateError extends Error {}

/** Turns a runtime's logrus line (`time=… level=error msg="…"`) into its message. */
export function runtimeMessage(raw: string): string {
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(raw);
  const msg = m?.[1] ? m[1].replace(/\\(.)/g, "$1") : raw.trim();
  return msg.replace(/^runc create failed: /, "");
}

export class OciRuntime {
  readonly name: string;
  readonly path: string;
  private readonly stateRoot: string;
  private readonly conmonPath: string;

  constructor(opts: { name: string; path: string; stateRoot: string; conmonPath?: string }) {
    this.name = opts.name;
    this.path = opts.path;
    this.stateRoot = opts.stateRoot;
    this.conmonPath = opts.conmonPath ?? "conmon";
  }

  private args(...rest: string[]): string[] {
    return [`--root=${this.stateRoot}`, ...rest];
  }

  /** Creates the container under a new conmon; resolves once the runtime has created it. */
  async create(opts: CreateOptions): Promise<Created> {
    const args = [
      "--api-version",
      "1",
      "-c",
      opts.id,
      "-u",
      opts.id,
      "-n",
      opts.id,
      "-r",
      this.path,
      "-b",
      opts.bundle,
      "-p",
      join(opts.bundle, "pidfile"),
      "-P",
      join(opts.bundle, "conmon.pid"),
      "-l",
      `k8s-file:${opts.logPath}`,
      "--log-size-max",
      String(opts.logSizeMax),
      "--exit-dir",
      opts.exitDir,
      "--socket-dir-path",
      opts.socketDir,
      "--syslog=false",
      "--runtime-arg",
      `--root=${this.stateRoot}`,
    ];
    if (opts.terminal) args.push("-t");
    if (opts.stdin) args.push("-i");
    if (opts.stdin && opts.leaveStdinOpen) args.push("--leave-stdin-open");
    const pid = await this.spawnConmon(args, opts.bundle);
    const conmonPid = await readConmonPid(join(opts.bundle, "conmon.pid"));
    return { pid, conmonPid };
  }

  /**
   * Runs a process in a running container under a conmon of its own (`conmon --exec`, which
   * runs `<runtime> exec --process`): output to `<dir>/log`, exit code to `<dir>/<containerId>`,
   * stdin and resize as for containers. Resolves with the process's pid once it runs.
   */
  async exec(opts: ExecOptions): Promise<Created> {
    const args = [
      "--api-version",
      "1",
      "-c",
      opts.containerId,
      "-u",
      opts.execId,
      "-r",
      this.path,
      "-b",
      opts.dir,
      "-p",
      join(opts.dir, "pid"),
      "-P",
      join(opts.dir, "conmon.pid"),
      "-l",
      `k8s-file:${join(opts.dir, "log")}`,
      "--exit-dir",
      opts.dir,
      "--socket-dir-path",
      opts.socketDir,
      "--syslog=false",
      "--runtime-arg",
      `--root=${this.stateRoot}`,
      "-e",
      "--exec-process-spec",
      opts.processSpecPath,
    ];
    if (opts.terminal) args.push("-t");
    if (opts.stdin) args.push("-i");
    if (opts.stdin && opts.leaveStdinOpen) args.push("--leave-stdin-open");
    const pid = await this.spawnConmon(args, opts.dir);
    const conmonPid = await readConmonPid(join(opts.dir, "conmon.pid"));
    return { pid, conmonPid };
  }

  /** Starts a conmon (it double-forks and stays) and returns the pid it reports on its sync pipe. */
  private async spawnConmon(args: string[], dir: string): Promise<number> {
    const sync = this.startConmon(args, dir);
    const message = await new Promise<{ data: number; message?: string }>((resolve, reject) => {
      let buf = "";
      sync.on("data", (chunk: Buffer) => {
        buf += chunk.toString("utf8");
        // One JSON object per line; a quick exec's exit report can arrive in the same read as
        // its pid, so only the first line is ours.
        const newline = buf.indexOf("\n");
        try {
          resolve(JSON.parse(newline < 0 ? buf : buf.slice(0, newline)));
          sync.destroy();
        } catch {
          // wait for the rest of the message
        }
      });
      sync.on("end", () => reject(new RuntimeCreateError(`conmon exited without reporting: ${buf}`)));
      sync.on("error", reject);
    });
    if (message.data < 0) throw new RuntimeCreateError(runtimeMessage(message.message ?? "unknown error"));
    return message.data;
  }

  /**
   * Spawns conmon detached, its stderr to `<dir>/conmon.log` and its sync pipe on fd 3; returns
   * the pipe's read end. posix_spawn where FFI allows (see spawn-fast.ts), else libuv's spawn.
   */
  private startConmon(args: string[], dir: string): Readable {
    // conmon's own diagnostics go to a file: a pipe to us would break when wharfd restarts.
    const errFd = openSync(join(dir, "conmon.log"), "a");
    const env = { ...process.env, _OCI_SYNCPIPE: "3" };
    try {
      const pipe = pipeFds();
      if (pipe) {
        const [readFd, writeFd] = pipe;
        try {
          // cwd = the bundle: conmon drops files there (an "oom" marker when the kernel OOM-kills).
          spawnDetached({ file: this.conmonPath, args, env, cwd: dir, fds: [null, null, errFd, writeFd] });
        } catch (err) {
          closeSync(readFd);
          throw err;
        } finally {
          closeSync(writeFd);
        }
        return new Socket({ fd: readFd, readable: true, writable: false });
      }
      const child = spawn(this.conmonPath, args, {
        cwd: dir,
        stdio: ["ignore", "ignore", errFd, "pipe"],
        env,
        detached: true,
      });
      child.unref();
      const sync = child.stdio[3] as Readable | null;
      if (!sync) throw new RuntimeCreateError("conmon: no sync pipe");
      child.on("error", (err) => sync.destroy(err));
      return sync;
    } finally {
      closeSync(errFd);
    }
  }

  /**
   * Starts a created container. runc and crun hold the container's init on `exec.fifo` in
   * their state dir until someone reads it — exactly what `<runtime> start` does; reading it
   * here saves spawning the runtime (~10 ms on the start path). Falls back to the CLI.
   */
  async start(id: string): Promise<void> {
    const fifo = join(this.stateRoot, id, "exec.fifo");
    let fh: Awaited<ReturnType<typeof open>> | undefined;
    try {
      fh = await open(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch {
      await run(this.path, this.args("start", id));
      return;
    }
    try {
      // Non-blocking open succeeds at once; init is already blocked opening the write end,
      // so the byte arrives immediately.
      const buf = Buffer.alloc(1);
      let started = false;
      for (let i = 0; i < 2000 && !started; i++) {
        const { bytesRead } = await fh.read(buf, 0, 1, null).catch((err: NodeJS.ErrnoException) => {
          if (err.code === "EAGAIN") return { bytesRead: -1 };
          throw err;
        });
        started = bytesRead > 0;
        if (!started) await new Promise((r) => setTimeout(r, 1));
      }
      if (!started)
        throw new Error(`${this.name} start ${id}: the container's init never signalled readiness`);
    } finally {
      await fh.close();
    }
    await rm(fifo, { force: true });
  }

  /** Whether the runtime still holds state for this container (then `delete` has work to do). */
  hasState(id: string): boolean {
    return existsSync(join(this.stateRoot, id));
  }

  /** Removes the runtime's state (and cgroup) of a container; tolerates one that is gone. */
  async delete(id: string): Promise<void> {
    if (await this.deleteStopped(id)) return;
    const result = await execFile(this.path, this.args("delete", "--force", id));
    if (result.code !== 0 && !/does not exist|not found/i.test(result.stderr)) {
      throw new Error(`${this.name} delete ${id}: ${runtimeMessage(result.stderr)}`);
    }
  }

  /**
   * For runc, `delete` of a container whose init has exited only removes its cgroup
   * directories and its state dir (wharf sets no hooks), so wharfd does that itself and saves
   * spawning the runtime on every container exit. Returns false, having changed nothing that
   * `delete --force` would not redo, when the container may still run or anything is unusual.
   */
  private async deleteStopped(id: string): Promise<boolean> {
    if (this.name !== "runc") return false;
    const dir = join(this.stateRoot, id);
    let state: RuncState;
    try {
      state = JSON.parse(await readFile(join(dir, "state.json"), "utf8")) as RuncState;
    } catch {
      return false;
    }
    if (typeof state.init_process_pid !== "number" || typeof state.cgroup_paths !== "object") return false;
    if (await processRunning(state.init_process_pid, state.init_process_start)) return false;
    for (const path of new Set(Object.values(state.cgroup_paths ?? {}))) {
      // A cgroup that still holds processes (EBUSY) is runc's to kill and remove.
      const removed = await rmdir(path).then(
        () => true,
        (err: NodeJS.ErrnoException) => err.code === "ENOENT",
      );
      if (!removed) return false;
    }
    await rm(dir, { recursive: true, force: true });
    return true;
  }

  async pause(id: string): Promise<void> {
    await run(this.path, this.args("pause", id));
  }

  async resume(id: string): Promise<void> {
    await run(this.path, this.args("resume", id));
  }

  /** Changes a running container's cgroup limits (`<runtime> update -r -`, OCI linux.resources JSON). */
  async update(id: string, resources: object): Promise<void> {
    const result = await execFile(this.path, this.args("update", "-r", "-", id), {
      input: JSON.stringify(resources),
    });
    if (result.code !== 0) throw new Error(runtimeMessage(result.stderr || result.stdout));
  }

  private mountOptionsProbe: Promise<ReadonlySet<string>> | undefined;

  /**
   * The mount options this runtime accepts, from `<runtime> features` (OCI runtime features);
   * empty when it has no such command (crun 1.8), so nothing optional is assumed. Probed once.
   */
  mountOptions(): Promise<ReadonlySet<string>> {
    this.mountOptionsProbe ??= execFile(this.path, ["features"]).then(
      (result) => {
        if (result.code !== 0) return new Set<string>();
        try {
          const features = JSON.parse(result.stdout) as { mountOptions?: unknown };
          const list = Array.isArray(features.mountOptions) ? features.mountOptions : [];
          return new Set(list.filter((o): o is string => typeof o === "string"));
        } catch {
          return new Set<string>();
        }
      },
      () => new Set<string>(),
    );
    return this.mountOptionsProbe;
  }

  /** Whether this runtime can run a trivial container on this host (crun 1.8 fails on hybrid cgroups). */
  async works(): Promise<boolean> {
    await removeOrphanedProbeDirs();
    // The pid in the name lets a later probe remove it if this daemon is killed mid-probe.
    const dir = await mkdtemp(join(tmpdir(), `wharf-probe-${process.pid}-`));
    const id = `wharf-probe-${process.pid}-${Date.now()}`;
    try {
      await writeHostMirrorBundle(dir, ["/bin/true"], `/wharf/${id}`);
      const result = await execFile(this.path, this.args("run", "--bundle", dir, id));
      return result.code === 0;
    } catch {
      return false;
    } finally {
      await execFile(this.path, this.args("delete", "--force", id)).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/** Probe bundles left in the temp dir by daemons that were killed while probing. */
async function removeOrphanedProbeDirs(): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  for (const name of names) {
    const pid = Number(/^wharf-probe-(\d+)-/.exec(name)?.[1]);
    if (pid && !alive(pid)) await rm(join(tmpdir(), name), { recursive: true, force: true });
  }
}

/** The part of runc's `state.json` that `deleteStopped` reads. */
interface RuncState {
  init_process_pid?: number;
  init_process_start?: number;
  cgroup_paths?: Record<string, string>;
}

/** Whether `pid` is still the process that started at `startTicks`, and not a zombie. */
async function processRunning(pid: number, startTicks: number | undefined): Promise<boolean> {
  const stat = await procStat(pid);
  if (!stat || stat.state === "Z" || stat.state === "X") return false;
  return startTicks === undefined || stat.startTicks === startTicks;
}

/**
 * Writes an OCI bundle in `dir` whose rootfs mirrors the host's /usr, /bin, /lib … read-only,
 * so `args` runs without any image: the runtime probe's container (and tests').
 */
export async function writeHostMirrorBundle(dir: string, args: string[], cgroupsPath: string): Promise<void> {
  const rootfs = join(dir, "rootfs");
  await mkdir(join(rootfs, "proc"), { recursive: true });
  const mounts: object[] = [{ destination: "/proc", type: "proc", source: "proc" }];
  for (const top of ["usr", "bin", "sbin", "lib", "lib64"]) {
    const st = await lstat(`/${top}`).catch(() => undefined);
    if (st?.isSymbolicLink()) await symlink(await readlink(`/${top}`), join(rootfs, top));
    else if (st?.isDirectory()) {
      await mkdir(join(rootfs, top));
      mounts.push({ destination: `/${top}`, type: "bind", source: `/${top}`, options: ["rbind", "ro"] });
    }
  }
  const config = {
    ociVersion: "1.0.2",
    process: { args, cwd: "/", user: { uid: 0, gid: 0 }, env: ["PATH=/usr/bin:/bin"] },
    root: { path: "rootfs", readonly: true },
    mounts,
    linux: { namespaces: [{ type: "pid" }, { type: "mount" }], cgroupsPath },
  };
  await writeFile(join(dir, "config.json"), JSON.stringify(config));
}

/**
 * conmon's pid file. The first conmon writes it after forking the monitor, which can report on
 * the sync pipe first when the machine is loaded: wait a little for the file rather than fail.
 */
async function readConmonPid(path: string): Promise<number> {
  for (let waited = 0; ; waited += 2) {
    const pid = Number((await readFile(path, "utf8").catch(() => "")).trim());
    if (pid > 0) return pid;
    if (waited >= 5000) throw new RuntimeCreateError(`conmon wrote no pid file (${path})`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
