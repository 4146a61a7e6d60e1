// Exec: processes run in a running container's namespaces and cgroup, each under a conmon of its
// own (`conmon --exec`, which runs `<runtime> exec --process`). Like Docker, exec instances live
// in memory: a daemon restart forgets them (their processes keep running under conmon).
import { existsSync, type FSWatcher, watch } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { resizeTerminal } from "../../platform/conmon-io.ts";
import { RuntimeCreateError } from "../../platform/oci-runtime.ts";
import { alive, processGone } from "../../platform/proc.ts";
import { newId } from "../../util/ids.ts";
import { log } from "../../util/log.ts";
import type { ExecCreateRequest, ExecInspect } from "../../wire/exec.ts";
import { ConflictError, EngineError, InvalidParameterError, NotFoundError } from "../errors.ts";
import type { OciProcess, OciSpec } from "../runtime/oci-spec.ts";
import type { Runtimes } from "../runtime/runtimes.ts";
import { buildEnv, replaceOrAppendEnv } from "../runtime/spec.ts";
import { readUserFiles, resolveUser } from "../runtime/user.ts";
import { type LogEntry, parseLogLine, readLogs } from "./logs.ts";
import type { ContainerRecord } from "./record.ts";
import type { ContainerService } from "./service.ts";

export interface ExecRecord {
  id: string;
  containerId: string;
  config: ExecCreateRequest;
  running: boolean;
  exitCode: number | null;
  pid: number;
  conmonPid: number;
  /** Set once start was called (an exec runs at most once). */
  started: boolean;
  dir: string;
  finishedAt?: number;
}

export interface ExecServiceDeps {
  containers: ContainerService;
  runtimes: Runtimes;
  paths: { containers: string; sockets: string };
  /** The host's capability bounding set: what --privileged grants. */
  capabilities: readonly string[];
}

/** Exited execs are forgotten after this long (Docker's exec GC runs every 5 minutes). */
const keepExitedMs = 5 * 60_000;

export class ExecService {
  private readonly d: ExecServiceDeps;
  private readonly execs = new Map<string, ExecRecord>();
  private readonly exitWaiters = new Map<string, Array<(code: number) => void>>();
  /** Per container: unsubscribe from its exit/removal hooks. */
  private readonly hooked = new Map<string, () => void>();

  constructor(deps: ExecServiceDeps) {
    this.d = deps;
    deps.containers.execIdsOf = (id) => this.idsOf(id);
  }

  /** Docker's checks before exec create and start. */
  private activeContainer(ref: string): ContainerRecord {
    const c = this.d.containers.repo.get(ref);
    // Restarting first: Docker's restarting container counts as running, so it says so.
    if (c.state.Restarting)
      throw new ConflictError(`Container ${c.id} is restarting, wait until the container is running`);
    if (!c.state.Running) throw new ConflictError(`Container ${c.id} is not running`);
    if (c.state.Paused)
      throw new ConflictError(`Container ${ref} is paused, unpause the container before exec`);
    return c;
  }

  create(ref: string, config: ExecCreateRequest): { Id: string } {
    const c = this.activeContainer(ref);
    if (!Array.isArray(config.Cmd) || config.Cmd.length === 0)
      throw new InvalidParameterError("No exec command specified");
    this.forgetOld();
    const id = newId();
    const record: ExecRecord = {
      id,
      containerId: c.id,
      config,
      running: false,
      exitCode: null,
      pid: 0,
      conmonPid: 0,
      started: false,
      dir: join(this.d.paths.containers, c.id, "exec", id),
    };
    this.execs.set(id, record);
    this.hook(c.id);
    this.d.containers.publish(c, `exec_create: ${config.Cmd.join(" ")}`, { execID: id });
    return { Id: id };
  }

  get(id: string): ExecRecord {
    const e = this.execs.get(id);
    if (!e) throw new NotFoundError(`No such exec instance: ${id}`);
    return e;
  }

  /** Exec IDs of a container (its inspect's ExecIDs). */
  idsOf(containerId: string): string[] {
    return [...this.execs.values()].filter((e) => e.containerId === containerId).map((e) => e.id);
  }

  inspect(id: string): ExecInspect {
    const e = this.get(id);
    const [entrypoint = "", ...args] = e.config.Cmd ?? [];
    return {
      ID: e.id,
      Running: e.running,
      ExitCode: e.exitCode,
      ProcessConfig: {
        tty: e.config.Tty === true,
        entrypoint,
        arguments: args,
        // Docker always sends it (a pointer it always sets); only `user` is left out when empty.
        privileged: e.config.Privileged === true,
        ...(e.config.User ? { user: e.config.User } : {}),
      },
      OpenStdin: e.config.AttachStdin === true,
      OpenStderr: e.config.AttachStderr === true,
      OpenStdout: e.config.AttachStdout === true,
      CanRemove: e.exitCode !== null,
      ContainerID: e.containerId,
      DetachKeys: e.config.DetachKeys ?? "",
      Pid: e.pid,
    };
  }

  /**
   * Starts the process. Resolves once it runs; `exited` settles with its exit code. A process
   * that cannot be started has exit code 126 (or 127: not found) and the error is thrown.
   */
  async start(id: string, opts: { tty?: boolean; consoleSize?: [number, number] } = {}): Promise<ExecRecord> {
    const e = this.get(id);
    if (e.exitCode !== null) throw new ConflictError(`Error: Exec command ${id} has already run`);
    if (e.running || e.started) throw new ConflictError(`Error: Exec command ${id} is already running`);
    const c = this.activeContainer(e.containerId);
    e.started = true;
    const tty = opts.tty ?? e.config.Tty === true;
    try {
      await mkdir(e.dir, { recursive: true });
      const spec = await this.processSpec(c, e, tty, opts.consoleSize ?? e.config.ConsoleSize ?? undefined);
      const specPath = join(e.dir, "process.json");
      await writeFile(specPath, JSON.stringify(spec));
      const created = await this.d.runtimes.get(c.runtime).exec({
        containerId: c.id,
        execId: e.id,
        dir: e.dir,
        processSpecPath: specPath,
        socketDir: this.d.paths.sockets,
        terminal: tty,
        stdin: e.config.AttachStdin === true,
        leaveStdinOpen: tty,
      });
      Object.assign(e, { running: true, pid: created.pid, conmonPid: created.conmonPid });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const notFound = /executable file not found|no such file or directory/.test(message);
      this.finish(e, notFound ? 127 : 126);
      if (err instanceof EngineError) throw err;
      const text =
        err instanceof RuntimeCreateError ? `OCI runtime exec failed: ${message}: unknown` : message;
      throw new EngineError(text);
    }
    this.d.containers.publish(c, `exec_start: ${(e.config.Cmd ?? []).join(" ")}`, { execID: e.id });
    this.watchExit(e);
    return e;
  }

  /** Resolves with the exit code once the exec has ended. */
  exited(e: ExecRecord): Promise<number> {
    if (e.exitCode !== null) return Promise.resolve(e.exitCode);
    return new Promise((resolve) => {
      const list = this.exitWaiters.get(e.id) ?? [];
      list.push(resolve);
      this.exitWaiters.set(e.id, list);
    });
  }

  /** The process's output (its conmon's log), until it has ended and all of it was read. */
  output(e: ExecRecord, signal: AbortSignal): AsyncGenerator<LogEntry> {
    // The exit wakes the follower at once; it still reads the log to its end before stopping.
    const exited = new AbortController();
    void this.exited(e).then(() => exited.abort());
    return readLogs(
      join(e.dir, "log"),
      { stdout: e.config.AttachStdout === true, stderr: e.config.AttachStderr === true, follow: true },
      () => e.exitCode !== null,
      AbortSignal.any([signal, exited.signal]),
    );
  }

  /** All the output of an ended exec, stdout and stderr in order, at most `max` bytes. */
  async capturedOutput(e: ExecRecord, max: number): Promise<string> {
    const raw = await readFile(join(e.dir, "log"), "utf8").catch(() => "");
    const parts: Buffer[] = [];
    for (const line of raw.split("\n")) {
      const entry = parseLogLine(line);
      if (entry) parts.push(entry.data);
    }
    return Buffer.concat(parts).subarray(0, max).toString("utf8");
  }

  /** The socket conmon serves the exec's stdin on. */
  attachSocket(e: ExecRecord): string {
    return join(this.d.paths.sockets, e.id, "attach");
  }

  kill(e: ExecRecord, signal: NodeJS.Signals = "SIGKILL"): void {
    if (!e.running || !e.pid) return;
    try {
      process.kill(e.pid, signal);
    } catch {
      // already gone
    }
  }

  async resize(id: string, height: number, width: number): Promise<void> {
    const e = this.get(id);
    // Applied in the order they arrived: the CLI's first size and a SIGWINCH right after can
    // both be waiting for the process below, and the older must not land last.
    const previous = this.resizing.get(e.id) ?? Promise.resolve();
    const mine = previous.then(async () => {
      // Clients resize right after start, maybe before the process runs: Docker waits for it.
      for (let i = 0; i < 1000 && e.started && !e.running && e.exitCode === null; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      if (!e.running) throw new ConflictError(`Exec ${id} is not running`);
      await resizeTerminal(e.dir, height, width).catch((err: Error) => {
        throw new EngineError(`failed to resize tty: ${err.message}`);
      });
    });
    const settled = mine.catch(() => undefined);
    this.resizing.set(e.id, settled);
    try {
      await mine;
    } finally {
      if (this.resizing.get(e.id) === settled) this.resizing.delete(e.id);
    }
  }

  /** Each exec's resizes, chained (see resize). */
  private readonly resizing = new Map<string, Promise<void>>();

  /** Frees an ended exec's files (its record stays for inspect until it is forgotten). */
  async release(e: ExecRecord): Promise<void> {
    await rm(join(this.d.paths.sockets, e.id), { force: true });
    await rm(e.dir, { recursive: true, force: true });
  }

  /** Drops an ended exec's record at once (health probes, as Docker unregisters them). */
  forget(e: ExecRecord): void {
    if (e.exitCode !== null) this.execs.delete(e.id);
  }

  // ---- internals ---------------------------------------------------------------------------

  private async processSpec(
    c: ContainerRecord,
    e: ExecRecord,
    tty: boolean,
    consoleSize: [number, number] | undefined,
  ): Promise<OciProcess> {
    const bundle = join(this.d.paths.containers, c.id);
    const spec = JSON.parse(await readFile(join(bundle, "config.json"), "utf8")) as OciSpec;
    const base = spec.process as OciProcess;
    const rootfs = spec.root?.path.startsWith("/")
      ? spec.root.path
      : join(bundle, spec.root?.path ?? "rootfs");
    let user = base.user;
    if (e.config.User) {
      const files = await readUserFiles(rootfs);
      try {
        const u = resolveUser(e.config.User, files.passwd, files.group);
        user = { uid: u.uid, gid: u.gid, additionalGids: u.additionalGids };
      } catch (err) {
        throw new InvalidParameterError((err as Error).message);
      }
    }
    const env = replaceOrAppendEnv(
      buildEnv(c.config.Env ?? [], c.config.Hostname ?? c.id.slice(0, 12), tty),
      e.config.Env ?? [],
    );
    const proc: OciProcess = {
      ...base,
      terminal: tty,
      args: e.config.Cmd ?? [],
      env,
      cwd: e.config.WorkingDir || base.cwd || "/",
      user,
    };
    if (tty && consoleSize && consoleSize[0] > 0 && consoleSize[1] > 0) {
      proc.consoleSize = { height: consoleSize[0], width: consoleSize[1] };
    } else {
      delete proc.consoleSize;
    }
    if (e.config.Privileged) {
      const all = [...this.d.capabilities];
      proc.capabilities = { bounding: all, effective: all, permitted: all };
    }
    return proc;
  }

  /** Watches the exit file conmon writes (named after the container) in the exec's dir. */
  private watchExit(e: ExecRecord): void {
    const exitFile = join(e.dir, e.containerId);
    let watcher: FSWatcher | undefined;
    let poll: NodeJS.Timeout | undefined;
    let done = false;
    const check = async () => {
      if (done) return;
      const gone = !alive(e.conmonPid);
      if (!existsSync(exitFile) && !gone) return;
      done = true;
      watcher?.close();
      clearInterval(poll);
      // conmon writes the last output before it exits: let it finish.
      await processGone(e.conmonPid, 500);
      const raw = await readFile(exitFile, "utf8").catch(() => "");
      this.finish(e, raw.trim() === "" ? 137 : Number(raw.trim()));
      const c = this.d.containers.repo.find(e.containerId);
      if (c) this.d.containers.publish(c, "exec_die", { execID: e.id, exitCode: String(e.exitCode) });
    };
    try {
      watcher = watch(e.dir, () => void check());
    } catch (err) {
      log.warn("exec exit watch failed", { id: e.id, err });
    }
    poll = setInterval(() => void check(), 500);
    poll.unref();
    void check();
  }

  private finish(e: ExecRecord, code: number): void {
    Object.assign(e, { running: false, exitCode: code, finishedAt: Date.now() });
    for (const w of this.exitWaiters.get(e.id) ?? []) w(code);
    this.exitWaiters.delete(e.id);
  }

  /** Execs die with their container; their records go with it when it is removed. */
  private hook(containerId: string): void {
    if (this.hooked.has(containerId)) return;
    const offExit = this.d.containers.onRun(containerId, "exit", () => {
      for (const e of this.execs.values()) if (e.containerId === containerId) this.kill(e);
    });
    const offRemoved = this.d.containers.onRun(containerId, "removed", () => {
      for (const e of [...this.execs.values()]) {
        if (e.containerId !== containerId) continue;
        this.kill(e);
        this.execs.delete(e.id);
        void rm(join(this.d.paths.sockets, e.id), { force: true });
      }
      offExit();
      offRemoved();
      this.hooked.delete(containerId);
    });
    this.hooked.set(containerId, () => {
      offExit();
      offRemoved();
    });
  }

  private forgetOld(): void {
    const now = Date.now();
    for (const e of this.execs.values()) {
      if (e.finishedAt !== undefined && now - e.finishedAt > keepExitedMs) this.execs.delete(e.id);
    }
  }
}
