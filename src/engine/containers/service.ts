// ContainerService: container records and their lifecycle (create, start, stop, kill, wait,
// remove, restart policies), logs and attach output. Processes run under conmon, so the
// service only reacts to exit files and never holds a container's stdio itself.
import { EventEmitter } from "node:events";
import { existsSync, type FSWatcher, watch } from "node:fs";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { hostname as hostHostname } from "node:os";
import { join } from "node:path";
import { type CgroupLayout, cgroupOomKilled } from "../../platform/host.ts";
import { RuntimeCreateError } from "../../platform/oci-runtime.ts";
import { alive, processGone } from "../../platform/proc.ts";
import { diskUsage } from "../../util/du.ts";
import { type Filters, matchAny, matchLabels } from "../../util/filters.ts";
import { newId, randomName, validContainerName } from "../../util/ids.ts";
import { log } from "../../util/log.ts";
import { parseSignal } from "../../util/signals.ts";
import type { ContainerCreateRequest, ContainerSummary, HostConfig } from "../../wire/containers.ts";
import {
  ConflictError,
  EngineError,
  InvalidParameterError,
  NotImplementedError,
  NotModifiedError,
} from "../errors.ts";
import type { EventBus } from "../events/bus.ts";
import type { ImageService } from "../images/service.ts";
import { networkModeWarnings } from "../network/mode-checks.ts";
import type { NetworkService } from "../network/service.ts";
import type { Runtimes } from "../runtime/runtimes.ts";
import { InvalidSpecInputError } from "../runtime/spec.ts";
import type { Snapshotter } from "../snapshots/snapshotter.ts";
import { planMounts } from "../volumes/mount-spec.ts";
import type { VolumeService } from "../volumes/service.ts";
import { prepareBundle } from "./bundle.ts";
import { ignoredSettingWarnings, mergeImageConfig, validateHostConfig } from "./create-config.ts";
import { ancestorImageIds, checkListFilters, nameMatches, pruneFilter, regexpMatch } from "./filters.ts";
import { healthMatches, validateHealthcheck } from "./health.ts";
import { containerInspect, containerSummary } from "./inspect.ts";
import { logDriverWarnings, logSizeLimit, logsReadable } from "./log-driver.ts";
import { type LogEntry, type LogOptions, logSize, readLogs } from "./logs.ts";
import { type ContainerRecord, type ContainerRepository, cgroupPathOf, initialState } from "./record.ts";
import { nextBackoff, restartsAfterExit, restartsOnDaemonStart } from "./restart-policy.ts";
import { mountSharedShm, sharedShmPath, unmountSharedShm } from "./shm.ts";

export interface ContainerPaths {
  containers: string;
  exits: string;
  sockets: string;
}

export interface ContainerDefaults {
  runtime?: string;
  logSizeMax: number;
  /** The log driver of containers that name none. */
  logDriver?: string;
  initPath: string;
  shmSize: number;
}

export interface ContainerServiceDeps {
  repo: ContainerRepository;
  images: ImageService;
  network: NetworkService;
  snapshots: Snapshotter;
  volumes: VolumeService;
  runtimes: Runtimes;
  events: EventBus;
  paths: ContainerPaths;
  defaults: ContainerDefaults;
  cgroup: CgroupLayout;
  hardLimits: Record<string, number>;
  capabilities: readonly string[];
}

export type WaitCondition = "not-running" | "next-exit" | "removed";

const epoch = "0001-01-01T00:00:00Z";

export class ContainerService {
  readonly repo: ContainerRepository;
  private readonly d: ContainerServiceDeps;
  private readonly lifecycle = new EventEmitter();
  private readonly busy = new Map<string, Promise<unknown>>();
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  /** The last restart delay per container (Docker keeps it apart from RestartCount). */
  private readonly backoffMs = new Map<string, number>();
  private exitWatcher?: FSWatcher;
  private exitPoll?: NodeJS.Timeout;

  constructor(deps: ContainerServiceDeps) {
    this.d = deps;
    this.repo = deps.repo;
    this.lifecycle.setMaxListeners(0);
    deps.images.setUsers((imageId) =>
      this.repo
        .all()
        .filter((c) => c.imageId === imageId)
        .map((c) => ({ id: c.id, running: c.state.Running })),
    );
    deps.images.setContainerLayers(() => [
      ...this.repo.all().flatMap((c) => c.lowerLayers),
      ...[...this.creating].flatMap((h) => h.layers),
    ]);
    deps.volumes.setUsers(() =>
      this.repo.all().map((c) => ({ id: c.id, running: c.state.Running, mountPoints: c.mountPoints ?? [] })),
    );
  }

  // ---- daemon start/stop -------------------------------------------------------------------

  /** Watches exit files and reconciles records with what survived while wharfd was down. */
  async init(): Promise<void> {
    for (const dir of [this.d.paths.containers, this.d.paths.exits, this.d.paths.sockets]) {
      await mkdir(dir, { recursive: true });
    }
    this.exitWatcher = watch(this.d.paths.exits, (_event, file) => {
      if (file) void this.onExitFile(file.toString());
    });
    // A safety net for missed inotify events and monitors that died without an exit file.
    this.exitPoll = setInterval(() => void this.pollRunning(), 2000);
    this.exitPoll.unref();
    for (const c of this.repo.all()) {
      if (c.state.Running) {
        await this.pollOne(c);
      } else if (this.d.snapshots.isContainerMounted(c.id) || this.hasRuntimeState(c)) {
        // wharfd died while cleaning up after this container's exit: finish the cleanup, or
        // its next start would find the runtime's old state ("container … already exists").
        await this.releaseRun(c).catch((err: Error) =>
          log.warn("cleanup after restart failed", { id: c.id, err }),
        );
      }
    }
    // A build that was under way died with the last wharfd: its step containers go.
    for (const c of this.repo.all().filter((r) => r.buildStep)) {
      await this.remove(c.id, { force: true, volumes: true }).catch((err: Error) =>
        log.warn("removing a dead build's container failed", { id: c.id, err }),
      );
    }
    for (const c of this.repo.all()) {
      if (c.state.Running) continue;
      if (c.hostConfig.AutoRemove && c.state.Status === "exited") await this.removeRecord(c);
      else if (this.shouldRestartOnBoot(c)) void this.start(c.id).catch(() => undefined);
    }
  }

  close(): void {
    this.exitWatcher?.close();
    if (this.exitPoll) clearInterval(this.exitPoll);
    for (const t of this.restartTimers.values()) clearTimeout(t);
  }

  private shouldRestartOnBoot(c: ContainerRecord): boolean {
    return restartsOnDaemonStart(c.hostConfig.RestartPolicy, {
      exitCode: c.state.ExitCode,
      manuallyStopped: c.stoppedByUser,
      restartCount: c.restartCount,
      startedBefore: c.state.StartedAt !== epoch,
    });
  }

  /** Serialises lifecycle operations on one container. */
  private async exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.busy.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.busy.set(id, settled);
    try {
      return await next;
    } finally {
      if (this.busy.get(id) === settled) this.busy.delete(id);
    }
  }

  // ---- create ------------------------------------------------------------------------------

  async create(
    name: string | undefined,
    body: ContainerCreateRequest,
    opts: { readOnlyNonRecursiveDefault?: boolean; buildStep?: boolean } = {},
  ): Promise<{ Id: string; Warnings: string[] }> {
    if (name !== undefined && name !== "") {
      if (!validContainerName.test(name)) {
        throw new InvalidParameterError(
          `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
        );
      }
      this.checkNameFree(name);
    }
    if (!body.Image) throw new InvalidParameterError("Config.Image must be specified");
    validateHealthcheck(body.Healthcheck);
    const image = this.d.images.resolve(body.Image);
    // Held from here, before the first await: an rmi -f landing while this create is under way
    // must not let the collector take the layers the new container will sit on.
    const lowerLayers = this.d.images.lowerLayers(image);
    const hold = { layers: lowerLayers };
    this.creating.add(hold);
    try {
      return await this.createFrom(name, body, image, lowerLayers, opts);
    } finally {
      this.creating.delete(hold);
    }
  }

  /** Layers of creates under way (see create). */
  private readonly creating = new Set<{ layers: string[] }>();

  private async createFrom(
    name: string | undefined,
    body: ContainerCreateRequest,
    image: ReturnType<ImageService["resolve"]>,
    lowerLayers: string[],
    opts: { readOnlyNonRecursiveDefault?: boolean; buildStep?: boolean },
  ): Promise<{ Id: string; Warnings: string[] }> {
    const imageConfig = (await this.d.images.config(image.id)).config ?? {};
    const hostConfig: HostConfig = validateHostConfig(
      body.HostConfig ?? {},
      this.d.runtimes.names(),
      this.d.defaults.logDriver,
    );
    // As Docker: the container whose PID or IPC namespace is to be joined must exist (a 400).
    for (const mode of [hostConfig.PidMode, hostConfig.IpcMode]) {
      const ref = mode?.startsWith("container:") ? mode.slice("container:".length) : undefined;
      if (ref && !this.repo.find(ref)) throw new InvalidParameterError(`No such container: ${ref}`);
    }
    const config = mergeImageConfig(body, imageConfig);
    const networkingConfig = this.d.network.normalizeCreate(hostConfig, body.NetworkingConfig ?? {}, body);
    // `--entrypoint ""` arrives as [""]: no entrypoint at all, the image's included.
    const entrypoint =
      config.Entrypoint?.length === 1 && config.Entrypoint[0] === "" ? [] : (config.Entrypoint ?? []);
    const command = [...entrypoint, ...(config.Cmd ?? [])];
    if (command.length === 0) throw new InvalidParameterError("No command specified");
    // Checked before anything exists, so bad mounts leave nothing behind.
    const plannedMounts = planMounts({
      hostConfig,
      volumes: config.Volumes,
      mountsOf: (ref) => this.repo.get(ref).mountPoints ?? [],
      bindSourceExists: existsSync,
      daemonRoot: this.d.volumes.daemonRoot,
      readOnlyNonRecursiveDefault: opts.readOnlyNonRecursiveDefault,
    });
    const id = newId();
    const finalName = name ? name.replace(/^\//, "") : this.freshName();
    if (!config.Hostname)
      config.Hostname = hostConfig.NetworkMode === "host" ? hostHostname() : id.slice(0, 12);
    const dir = join(this.d.paths.containers, id);
    const record: ContainerRecord = {
      id,
      name: finalName,
      created: new Date().toISOString(),
      path: command[0] as string,
      args: command.slice(1),
      config,
      hostConfig,
      networkingConfig,
      imageId: image.id,
      lowerLayers,
      runtime: hostConfig.Runtime || this.d.runtimes.defaultName,
      state: initialState(),
      restartCount: 0,
      stoppedByUser: false,
      hostnamePath: join(dir, "hostname"),
      hostsPath: join(dir, "hosts"),
      resolvConfPath: join(dir, "resolv.conf"),
      logPath: join(dir, "ctr.log"),
    };
    if (opts.buildStep) record.buildStep = true;
    record.hostConfig.Runtime = record.runtime;
    try {
      record.mountPoints = await this.d.volumes.attach(id, plannedMounts);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      // Exists from the start, so attach and logs -f can hold it open before the first run.
      await writeFile(record.logPath, "", { mode: 0o600 });
      await this.d.snapshots.createContainerLayer(id);
      this.checkNameFree(finalName); // again: another create may have taken it meanwhile
      this.repo.insert(record);
    } catch (err) {
      this.d.volumes.release(id);
      await this.d.volumes.removeAnonymous(id, record.mountPoints ?? []);
      await this.d.snapshots.remove(id);
      await rm(dir, { recursive: true, force: true });
      throw err;
    } finally {
      this.d.volumes.release(id);
    }
    this.publish(record, "create");
    return {
      Id: id,
      Warnings: [
        ...networkModeWarnings(hostConfig),
        ...logDriverWarnings(hostConfig),
        ...ignoredSettingWarnings(hostConfig),
      ],
    };
  }

  private checkNameFree(name: string): void {
    const holder = this.repo.byName(name);
    if (holder) {
      throw new ConflictError(
        `Conflict. The container name "/${name.replace(/^\//, "")}" is already in use by container "${holder.id}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
  }

  private freshName(): string {
    for (;;) {
      const name = randomName();
      if (!this.repo.byName(name)) return name;
    }
  }

  // ---- start -------------------------------------------------------------------------------

  async start(ref: string): Promise<void> {
    const c = this.repo.get(ref);
    await this.exclusive(c.id, async () => {
      if (c.state.Paused) throw new ConflictError(`cannot start a paused container, try unpause instead`);
      if (c.state.Running) throw new NotModifiedError("container already started");
      c.stoppedByUser = false;
      this.cancelRestart(c);
      // As Docker's start: a fresh restart manager, so on-failure's retries count from zero.
      c.restartCount = 0;
      this.backoffMs.delete(c.id);
      try {
        await this.startRecord(c);
      } catch (err) {
        // As Docker: a --rm container that cannot start is removed (its waiters get the code).
        if (c.hostConfig.AutoRemove) await this.removeRecord(c).catch(() => undefined);
        throw err;
      }
    });
  }

  /**
   * PidMode / IpcMode "container:<ref>": the init pids of the running containers whose
   * namespaces are joined, and the /dev/shm that comes with a joined IPC namespace.
   */
  private sharedNamespaceTargets(c: ContainerRecord): { pid?: number; ipc?: number; shm?: string } {
    const out: { pid?: number; ipc?: number; shm?: string } = {};
    for (const [kind, mode] of [
      ["pid", c.hostConfig.PidMode],
      ["ipc", c.hostConfig.IpcMode],
    ] as const) {
      if (!mode?.startsWith("container:")) continue;
      const target = this.repo.get(mode.slice("container:".length));
      const what = kind.toUpperCase();
      if (!target.state.Running)
        throw new ConflictError(`cannot join ${what} of a non running container: ${target.id}`);
      if (
        kind === "ipc" &&
        target.hostConfig.IpcMode !== "shareable" &&
        target.hostConfig.IpcMode !== "host"
      ) {
        throw new ConflictError(
          `can't join IPC of container ${target.id}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`,
        );
      }
      out[kind] = target.state.Pid;
      if (kind === "ipc") {
        out.shm =
          target.hostConfig.IpcMode === "host"
            ? "/dev/shm"
            : sharedShmPath(join(this.d.paths.containers, target.id));
      }
    }
    return out;
  }

  private async startRecord(c: ContainerRecord): Promise<void> {
    const runtime = this.d.runtimes.get(c.runtime);
    const exitFile = join(this.d.paths.exits, c.id);
    try {
      const joinPid = this.sharedNamespaceTargets(c);
      // The namespace and its interfaces are set up while the rootfs and bundle are prepared.
      const net = await this.d.network.prepare(c);
      const rootfs = await this.d.snapshots.mountContainer(c.id, c.lowerLayers);
      const mounts = await this.d.volumes.prepareStart(c.id, c.mountPoints ?? [], rootfs, () =>
        this.d.runtimes.recursiveReadOnlyProblem(c.runtime),
      );
      const bundle = join(this.d.paths.containers, c.id);
      const sharedShm =
        c.hostConfig.IpcMode === "shareable"
          ? await mountSharedShm(bundle, c.hostConfig.ShmSize || this.d.defaults.shmSize)
          : joinPid.shm;
      await prepareBundle({
        record: c,
        rootfs,
        bundle,
        initPath: this.d.defaults.initPath,
        shmSize: this.d.defaults.shmSize,
        cgroup: this.d.cgroup,
        hardLimits: this.d.hardLimits,
        capabilities: this.d.capabilities,
        mounts,
        network: net.namespace,
        joinPid,
        sharedShm,
      });
      await net.ready;
      await rm(exitFile, { force: true });
      const created = await runtime.create({
        id: c.id,
        bundle,
        logPath: c.logPath,
        exitDir: this.d.paths.exits,
        socketDir: this.d.paths.sockets,
        terminal: c.config.Tty === true,
        stdin: c.config.OpenStdin === true,
        // As Docker: only a non-TTY StdinOnce session closes stdin when its client is done.
        leaveStdinOpen: c.config.StdinOnce !== true || c.config.Tty === true,
        logSizeMax: logSizeLimit(c.hostConfig, this.d.defaults.logSizeMax),
      });
      // Attach sessions waiting for this run connect to its monitor now, before the process runs.
      this.lifecycle.emit(`created:${c.id}`);
      await runtime.start(c.id);
      Object.assign(c.state, {
        Status: "running",
        Running: true,
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: created.pid,
        conmonPid: created.conmonPid,
        ExitCode: 0,
        Error: "",
        StartedAt: new Date().toISOString(),
        FinishedAt: epoch,
      });
      this.repo.save(c);
      this.publish(c, "start");
      // The process may have exited before its record said "running": catch up now.
      if (existsSync(exitFile)) void this.onExitFile(c.id);
    } catch (err) {
      await runtime.delete(c.id).catch(() => undefined);
      await this.d.network.teardown(c.id).catch(() => undefined);
      await this.d.snapshots.unmountContainer(c.id).catch(() => undefined);
      await unmountSharedShm(join(this.d.paths.containers, c.id)).catch(() => undefined);
      await this.d.volumes.afterStop(c.id, c.mountPoints ?? []).catch(() => undefined);
      await rm(exitFile, { force: true });
      const message = err instanceof Error ? err.message : String(err);
      const notFound = /executable file not found|no such file or directory/.test(message);
      const denied = /permission denied/.test(message);
      Object.assign(c.state, {
        Status: c.state.StartedAt === epoch ? "created" : "exited",
        Running: false,
        Restarting: false,
        Pid: 0,
        ExitCode: notFound ? 127 : denied ? 126 : 128,
        Error: err instanceof RuntimeCreateError ? `OCI runtime create failed: ${message}: unknown` : message,
      });
      this.repo.save(c);
      // A spec Docker cannot build either (a bad tmpfs option…) is reported as is, as Docker does.
      if (err instanceof EngineError || err instanceof InvalidSpecInputError) throw err;
      const wrapped = new EngineError(`failed to create task for container: ${c.state.Error}`);
      if (notFound || denied) Object.defineProperty(wrapped, "status", { value: 400 });
      throw wrapped;
    }
  }

  // ---- exits -------------------------------------------------------------------------------

  private async onExitFile(id: string): Promise<void> {
    const c = this.repo.find(id);
    if (!c?.state.Running) return;
    if (this.busy.has(c.id) && !c.state.Pid) return;
    await this.handleExit(c);
  }

  private handlingExit = new Set<string>();

  private async handleExit(c: ContainerRecord, fallbackCode?: number): Promise<void> {
    if (this.handlingExit.has(c.id) || !c.state.Running) return;
    this.handlingExit.add(c.id);
    try {
      const exitFile = join(this.d.paths.exits, c.id);
      const raw = await readFile(exitFile, "utf8").catch(() => "");
      const code = raw.trim() === "" ? (fallbackCode ?? 255) : Number(raw.trim());
      // conmon wrote the exit file when the process ended: that is the true finish time, also
      // for an exit that happened while wharfd was down.
      const exitedAt =
        raw.trim() === "" ? new Date() : ((await stat(exitFile).catch(() => undefined))?.mtime ?? new Date());
      // conmon may still be draining the last output into the log: let it finish first.
      if (c.state.conmonPid) await processGone(c.state.conmonPid, 500);
      const oom = cgroupOomKilled(cgroupPathOf(c), this.d.cgroup);
      const ranMs = exitedAt.getTime() - Date.parse(c.state.StartedAt);
      // Decided with the exit, as Docker's handleContainerExit: nobody sees "exited" between
      // two runs, and a start that comes while the cleanup runs finds the decision made.
      const restart = this.restartWanted(c, code);
      if (restart) c.restartCount++;
      Object.assign(c.state, {
        Status: restart ? "restarting" : "exited",
        Restarting: restart,
        Running: false,
        Paused: false,
        Pid: 0,
        conmonPid: undefined,
        ExitCode: code,
        OOMKilled: oom,
        FinishedAt: exitedAt.toISOString(),
      });
      this.repo.save(c);
      // Waiters hear of the exit first; runtime state and the mount are cleaned up right after,
      // under the container's lock, so a start or remove that follows waits for the cleanup.
      const cleanup = this.exclusive(c.id, () => this.releaseRun(c));
      if (oom) this.publish(c, "oom");
      this.publish(c, "die", { exitCode: String(code) });
      this.lifecycle.emit(`exit:${c.id}`, code);
      await cleanup;
      if (restart) this.scheduleRestart(c, ranMs);
      else if (c.hostConfig.AutoRemove)
        await this.exclusive(c.id, () => this.removeRecord(c)).catch(() => undefined);
    } finally {
      this.handlingExit.delete(c.id);
    }
  }

  private hasRuntimeState(c: ContainerRecord): boolean {
    try {
      return this.d.runtimes.get(c.runtime).hasState(c.id);
    } catch {
      return false; // a runtime this host no longer has
    }
  }

  /** Frees what one run of a container held: the runtime's state and cgroup, the rootfs mount. */
  private async releaseRun(c: ContainerRecord): Promise<void> {
    const runtime = this.d.runtimes.get(c.runtime);
    if (runtime.hasState(c.id)) {
      await runtime.delete(c.id).catch((err: Error) => log.warn("runtime delete failed", { id: c.id, err }));
    }
    await this.d.network
      .teardown(c.id)
      .catch((err: Error) => log.warn("network teardown failed", { id: c.id, err }));
    await this.d.snapshots
      .unmountContainer(c.id)
      .catch((err: Error) => log.warn("unmount failed", { id: c.id, err }));
    await unmountSharedShm(join(this.d.paths.containers, c.id)).catch((err: Error) =>
      log.warn("shm unmount failed", { id: c.id, err }),
    );
    await this.d.volumes.afterStop(c.id, c.mountPoints ?? []);
  }

  private async pollRunning(): Promise<void> {
    for (const c of this.repo.all()) if (c.state.Running && !this.busy.has(c.id)) await this.pollOne(c);
  }

  /** Finds exits that left an exit file, or whose monitor died without writing one. */
  private async pollOne(c: ContainerRecord): Promise<void> {
    if (existsSync(join(this.d.paths.exits, c.id))) return this.handleExit(c);
    if (c.state.conmonPid && !alive(c.state.conmonPid)) {
      if (c.state.Pid && alive(c.state.Pid)) process.kill(c.state.Pid, "SIGKILL");
      c.state.Error = "container monitor (conmon) exited unexpectedly";
      await this.handleExit(c, 137);
    }
  }

  // ---- restart policy ----------------------------------------------------------------------

  private restartWanted(c: ContainerRecord, code: number): boolean {
    return restartsAfterExit(c.hostConfig.RestartPolicy, {
      exitCode: code,
      manuallyStopped: c.stoppedByUser,
      restartCount: c.restartCount,
    });
  }

  /**
   * Starts a container that is restarting after Docker's back-off: 100 ms doubling per quick
   * exit up to a minute, reset by a run of 10 s. A start, stop or remove meanwhile cancels it.
   */
  private scheduleRestart(c: ContainerRecord, ranMs: number): void {
    if (!c.state.Restarting) return;
    const delay = nextBackoff(this.backoffMs.get(c.id) ?? 0, ranMs);
    this.backoffMs.set(c.id, delay);
    const timer = setTimeout(() => {
      this.restartTimers.delete(c.id);
      void this.exclusive(c.id, async () => {
        if (!c.state.Restarting) return;
        await this.startRecord(c);
        this.publish(c, "restart");
      }).catch((err: Error) => {
        log.warn("restart failed", { id: c.id, err });
        Object.assign(c.state, { Status: "exited", Restarting: false });
        this.repo.save(c);
      });
    }, delay);
    this.restartTimers.set(c.id, timer);
  }

  private cancelRestart(c: ContainerRecord): void {
    const t = this.restartTimers.get(c.id);
    if (t) clearTimeout(t);
    this.restartTimers.delete(c.id);
    if (c.state.Restarting) {
      Object.assign(c.state, { Status: "exited", Restarting: false });
      this.repo.save(c);
    }
  }

  // ---- stop / kill / restart ---------------------------------------------------------------

  /** Resolves true once the container's current run has ended, false after `ms`. */
  private waitExit(c: ContainerRecord, ms: number): Promise<boolean> {
    if (!c.state.Running) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.lifecycle.off(`exit:${c.id}`, onExit);
        resolve(ok);
      };
      const onExit = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      this.lifecycle.on(`exit:${c.id}`, onExit);
    });
  }

  private signal(c: ContainerRecord, signal: number): void {
    try {
      process.kill(c.state.Pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
    }
  }

  async stop(ref: string, timeoutSeconds?: number, signalName?: string): Promise<void> {
    const c = this.repo.get(ref);
    // A container waiting out its restart back-off counts as running (Docker): stopping it
    // cancels the restart and succeeds.
    const wasRestarting = c.state.Restarting;
    this.cancelRestart(c);
    if (!c.state.Running) {
      if (!c.stoppedByUser) {
        c.stoppedByUser = true;
        this.repo.save(c);
      }
      if (wasRestarting) {
        this.publish(c, "stop");
        return;
      }
      throw new NotModifiedError("container already stopped");
    }
    c.stoppedByUser = true;
    this.repo.save(c);
    const stopSignal = parseSignal(signalName || c.config.StopSignal || "SIGTERM") ?? 15;
    const timeout = timeoutSeconds ?? c.config.StopTimeout ?? 10;
    if (c.state.Paused)
      await this.d.runtimes
        .get(c.runtime)
        .resume(c.id)
        .catch(() => undefined);
    this.publish(c, "kill", { signal: String(stopSignal) });
    this.signal(c, stopSignal);
    if (timeout < 0 ? await this.waitExit(c, 2 ** 31 - 1) : await this.waitExit(c, timeout * 1000)) {
      this.publish(c, "stop");
      return;
    }
    this.publish(c, "kill", { signal: "9" });
    this.signal(c, 9);
    if (!(await this.waitExit(c, 10_000))) {
      throw new EngineError(
        `cannot stop container: ${c.id}: tried to kill container, but did not receive an exit event`,
      );
    }
    this.publish(c, "stop");
  }

  async kill(ref: string, signalName?: string): Promise<void> {
    const c = this.repo.get(ref);
    const signal = signalName ? parseSignal(signalName) : 9;
    if (signal === undefined) throw new InvalidParameterError(`Invalid signal: ${signalName}`);
    // Restarting counts as running (Docker): there is no process to signal; a kill or term
    // stops it for good, as Docker's kill leaves it exited.
    if (c.state.Restarting && !c.state.Running) {
      if (signal === 9 || signal === 15) {
        c.stoppedByUser = true;
        this.cancelRestart(c);
      }
      return;
    }
    if (!c.state.Running)
      throw new ConflictError(`Cannot kill container: ${ref}: Container ${c.id} is not running`);
    if (signal === 9 || signal === 15) {
      c.stoppedByUser = true;
      this.repo.save(c);
    }
    this.publish(c, "kill", { signal: String(signal) });
    this.signal(c, signal);
    if (signal === 9) await this.waitExit(c, 10_000);
  }

  async restart(ref: string, timeoutSeconds?: number, signalName?: string): Promise<void> {
    const c = this.repo.get(ref);
    if (c.state.Running) await this.stop(c.id, timeoutSeconds, signalName);
    await this.start(c.id);
    this.publish(c, "restart");
  }

  // ---- wait --------------------------------------------------------------------------------

  /**
   * Waits for the container per Docker's conditions. `registered` fires once the waiter is in
   * place (the API flushes its headers then, before the client starts the container).
   */
  async wait(ref: string, condition: WaitCondition, signal: AbortSignal): Promise<{ StatusCode: number }> {
    const c = this.repo.get(ref);
    if (condition === "not-running" && !c.state.Running && !c.state.Restarting) {
      return { StatusCode: c.state.ExitCode };
    }
    const event = condition === "removed" ? `removed:${c.id}` : `exit:${c.id}`;
    return new Promise((resolve, reject) => {
      const onDone = (code: number) => {
        cleanup();
        resolve({ StatusCode: code });
      };
      const onAbort = () => {
        cleanup();
        reject(new Error("client went away"));
      };
      const cleanup = () => {
        this.lifecycle.off(event, onDone);
        signal.removeEventListener("abort", onAbort);
      };
      this.lifecycle.on(event, onDone);
      signal.addEventListener("abort", onAbort);
    });
  }

  // ---- remove / rename / prune -------------------------------------------------------------

  async remove(ref: string, opts: { force: boolean; volumes: boolean }): Promise<void> {
    const c = this.repo.get(ref);
    if (c.state.Running || c.state.Restarting) {
      if (!opts.force) {
        throw new ConflictError(
          `You cannot remove a ${c.state.Paused ? "paused" : "running"} container ${c.id}. Stop the container before attempting removal or force remove`,
        );
      }
      this.cancelRestart(c);
      if (c.state.Running) {
        c.stoppedByUser = true;
        if (c.state.Paused)
          await this.d.runtimes
            .get(c.runtime)
            .resume(c.id)
            .catch(() => undefined);
        this.publish(c, "kill", { signal: "9" });
        this.signal(c, 9);
        await this.waitExit(c, 10_000);
        if (c.hostConfig.AutoRemove) {
          // The exit handler removes it; wait for that instead of racing it.
          if (this.repo.find(c.id)) await this.waitRemoved(c, 10_000);
          return;
        }
      }
    }
    if (!this.repo.find(c.id)) return;
    await this.exclusive(c.id, () => this.removeRecord(c, opts.volumes));
  }

  private waitRemoved(c: ContainerRecord, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.lifecycle.once(`removed:${c.id}`, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Deletes everything a container owns: runtime state, mounts, layer, bundle, record. */
  private async removeRecord(c: ContainerRecord, removeVolumes = false): Promise<void> {
    if (!this.repo.find(c.id)) return;
    Object.assign(c.state, { Status: "removing" });
    await this.releaseRun(c);
    await Promise.all([
      this.d.snapshots.remove(c.id),
      rm(join(this.d.paths.containers, c.id), { recursive: true, force: true }),
      rm(join(this.d.paths.exits, c.id), { force: true }),
      rm(join(this.d.paths.sockets, c.id), { recursive: true, force: true }),
    ]);
    this.repo.delete(c.id);
    this.backoffMs.delete(c.id);
    // The layers of an image removed by `rmi -f` while this container used them go now.
    await this.d.images.releaseLayers(c.lowerLayers).catch(() => undefined);
    // rm -v and --rm drop the container's anonymous volumes; named ones always stay.
    if (removeVolumes || c.hostConfig.AutoRemove)
      await this.d.volumes.removeAnonymous(c.id, c.mountPoints ?? []);
    this.publish(c, "destroy");
    this.lifecycle.emit(`removed:${c.id}`, c.state.ExitCode);
  }

  rename(ref: string, newName: string): void {
    const c = this.repo.get(ref);
    const bare = newName.replace(/^\//, "");
    if (!validContainerName.test(bare)) {
      throw new InvalidParameterError(
        `Invalid container name (${newName}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
      );
    }
    if (bare === c.name)
      throw new InvalidParameterError("Renaming a container with the same name as its current name");
    this.checkNameFree(bare);
    const oldName = c.name;
    c.name = bare;
    this.repo.save(c);
    this.publish(c, "rename", { oldName: `/${oldName}` });
  }

  async prune(filters: Filters): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
    const deleted: string[] = [];
    let reclaimed = 0;
    const wanted = pruneFilter(filters);
    for (const c of this.repo.all()) {
      if (c.state.Running || c.state.Restarting) continue;
      if (!wanted.matches(c.config.Labels ?? {}, c.created)) continue;
      reclaimed += await diskUsage(this.d.snapshots.fsDir(c.id));
      await this.exclusive(c.id, () => this.removeRecord(c));
      deleted.push(c.id);
    }
    this.d.events.publish({
      Type: "container",
      Action: "prune",
      Actor: { ID: "", Attributes: { reclaimed: String(reclaimed) } },
    });
    // Docker sends null, not [], when nothing was deleted.
    return { ContainersDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: reclaimed };
  }

  // ---- list / inspect ----------------------------------------------------------------------

  async list(opts: {
    all: boolean;
    limit?: number;
    size: boolean;
    filters: Filters;
  }): Promise<ContainerSummary[]> {
    const f = opts.filters;
    checkListFilters(f);
    // Docker answers 404 for a before/since container that does not exist.
    for (const ref of [...(f.get("before") ?? []), ...(f.get("since") ?? [])]) this.repo.get(ref);
    const ancestors = f.has("ancestor")
      ? ancestorImageIds(f.get("ancestor") ?? [], (r) => this.d.images.find(r), this.d.images.all())
      : undefined;
    let list = this.repo
      .all()
      .sort((a, b) => Date.parse(b.created) - Date.parse(a.created) || b.id.localeCompare(a.id));
    const all =
      opts.all || (opts.limit !== undefined && opts.limit > 0) || f.has("status") || f.has("exited");
    list = list.filter((c) => {
      // Docker lists restarting containers with the running ones.
      if (!all && !c.state.Running && !c.state.Restarting) return false;
      return (
        matchAny(f.get("id"), (v) => regexpMatch([v], c.id)) &&
        matchAny(f.get("name"), (v) => nameMatches([v], c.name)) &&
        matchLabels(f.get("label"), c.config.Labels ?? {}) &&
        matchAny(f.get("status"), (v) => v === c.state.Status) &&
        matchAny(f.get("exited"), (v) => c.state.Status === "exited" && Number(v) === c.state.ExitCode) &&
        (ancestors === undefined || ancestors.has(c.imageId)) &&
        matchAny(f.get("network"), (v) =>
          this.d.network.networkNames(c).some((n) => n === v || this.d.network.find(n)?.id.startsWith(v)),
        ) &&
        matchAny(f.get("volume"), (v) =>
          (c.mountPoints ?? []).some((m) => m.name === v || m.destination === v),
        ) &&
        matchAny(f.get("before"), (v) => this.createdBefore(c, v)) &&
        matchAny(f.get("since"), (v) => this.createdAfter(c, v)) &&
        matchAny(f.get("health"), (v) => healthMatches(c, v))
      );
    });
    if (opts.limit !== undefined && opts.limit > 0) list = list.slice(0, opts.limit);
    return Promise.all(
      list.map(async (c) => {
        const summary = containerSummary(c, this.d.network);
        // As Docker: the name the container was made from while it still names its image, else the ID.
        if (summary.Image !== c.imageId) {
          const named = this.d.images.find(summary.Image);
          if (named ? named.id !== c.imageId : !this.d.images.find(c.imageId)) summary.Image = c.imageId;
        }
        if (opts.size) {
          summary.SizeRw = await diskUsage(this.d.snapshots.fsDir(c.id));
          summary.SizeRootFs = summary.SizeRw + (this.d.images.find(c.imageId)?.size ?? 0);
        }
        return summary;
      }),
    );
  }

  private createdBefore(c: ContainerRecord, ref: string): boolean {
    const other = this.repo.find(ref);
    return other !== undefined && Date.parse(c.created) < Date.parse(other.created);
  }

  private createdAfter(c: ContainerRecord, ref: string): boolean {
    const other = this.repo.find(ref);
    return other !== undefined && Date.parse(c.created) > Date.parse(other.created);
  }

  async inspect(ref: string, size: boolean): Promise<Record<string, unknown>> {
    const c = this.repo.get(ref);
    const image = this.d.images.find(c.imageId);
    const dir = join(this.d.snapshots.root, c.id);
    const graphDriver = {
      LowerDir: image ? this.d.images.snapshotDirs(image).join(":") : "",
      UpperDir: join(dir, "fs"),
      WorkDir: join(dir, "work"),
      MergedDir: join(dir, "merged"),
    };
    return containerInspect(c, {
      graphDriver,
      sizes: size ? await this.sizes(c) : undefined,
      network: this.d.network,
      execIds: this.execIdsOf?.(c.id),
      daemon: { shmSize: this.d.defaults.shmSize, cgroupVersion: this.d.cgroup.version },
    });
  }

  private async sizes(c: ContainerRecord): Promise<{ SizeRw: number; SizeRootFs: number }> {
    const rw = await diskUsage(this.d.snapshots.fsDir(c.id));
    return { SizeRw: rw, SizeRootFs: rw + (this.d.images.find(c.imageId)?.size ?? 0) };
  }

  counts(): { running: number; paused: number; stopped: number } {
    const all = this.repo.all();
    const running = all.filter((c) => c.state.Running && !c.state.Paused).length;
    const paused = all.filter((c) => c.state.Paused).length;
    return { running, paused, stopped: all.length - running - paused };
  }

  // ---- logs / attach -----------------------------------------------------------------------

  logs(
    ref: string,
    opts: LogOptions,
    signal: AbortSignal,
  ): { tty: boolean; entries: AsyncGenerator<LogEntry> } {
    const c = this.repo.get(ref);
    if (!opts.stdout && !opts.stderr) throw new InvalidParameterError("You must choose at least one stream");
    if (!logsReadable(c.hostConfig))
      throw new NotImplementedError("configured logging driver does not support reading");
    return {
      tty: c.config.Tty === true,
      entries: readLogs(
        c.logPath,
        opts,
        () => !c.state.Running && !c.state.Restarting,
        signal,
        (wake) => {
          const offExit = this.onRun(c.id, "exit", wake);
          const offRemoved = this.onRun(c.id, "removed", wake);
          return () => {
            offExit();
            offRemoved();
          };
        },
      ),
    };
  }

  /**
   * Output half of attach: what the container writes from now on (plus its past logs when
   * `logs` is set), until its current or next run ends.
   */
  async attachOutput(
    ref: string,
    opts: { logs: boolean; stream: boolean; stdout: boolean; stderr: boolean },
    signal: AbortSignal,
  ): Promise<{ tty: boolean; entries: AsyncGenerator<LogEntry> }> {
    const c = this.repo.get(ref);
    const fromOffset = opts.logs ? 0 : await logSize(c.logPath);
    let ended = false;
    // The end of the run wakes the follower at once (it still reads the log to its end).
    const runEnded = new AbortController();
    const onEnd = () => {
      ended = true;
      runEnded.abort();
    };
    this.lifecycle.once(`exit:${c.id}`, onEnd);
    this.lifecycle.once(`removed:${c.id}`, onEnd);
    signal.addEventListener("abort", () => {
      this.lifecycle.off(`exit:${c.id}`, onEnd);
      this.lifecycle.off(`removed:${c.id}`, onEnd);
    });
    this.publish(c, "attach");
    const logOpts: LogOptions = { stdout: opts.stdout, stderr: opts.stderr, follow: opts.stream, fromOffset };
    return {
      tty: c.config.Tty === true,
      entries: readLogs(c.logPath, logOpts, () => ended, AbortSignal.any([signal, runEnded.signal])),
    };
  }

  /** The container's exec instances, for inspect's ExecIDs (set by the exec service). */
  execIdsOf?: (id: string) => string[];

  /**
   * Hooks into one container's runs: "created" (its monitor is up, the process not yet
   * started), "exit" (a run ended; the exit code) or "removed". Returns the unsubscribe.
   */
  onRun(id: string, event: "created" | "exit" | "removed", fn: (code?: number) => void): () => void {
    const name = `${event}:${id}`;
    this.lifecycle.on(name, fn);
    return () => this.lifecycle.off(name, fn);
  }

  // ---- events ------------------------------------------------------------------------------

  publish(c: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    this.d.events.publish({
      Type: "container",
      Action: action,
      Actor: {
        ID: c.id,
        Attributes: { ...(c.config.Labels ?? {}), image: c.config.Image ?? "", name: c.name, ...extra },
      },
    });
  }
}
