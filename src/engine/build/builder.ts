// Builder: runs a parsed Dockerfile the way Docker's classic builder does. Every step yields an
// image (metadata steps add a history entry without a layer; RUN commits its container's rw
// layer; COPY/ADD copy into a temporary rw layer that is committed the same way), so each step
// can be a cache hit keyed on its parent image.
import { AsyncLocalStorage } from "node:async_hooks";
import { createHash, randomBytes } from "node:crypto";
import { cp, lstat, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join, posix } from "node:path";
import type { MountRequest } from "../../wire/volumes.ts";
import type { ContainerService } from "../containers/service.ts";
import { EngineError } from "../errors.ts";
import type { ContainerConfig, ImageConfig } from "../images/oci.ts";
import { familiarTag, parseReference, tagKey } from "../images/reference.ts";
import type { ImageRecord } from "../images/service.ts";
import { readUserFiles, resolveInRoot, resolveUser } from "../runtime/user.ts";
import type { Snapshotter } from "../snapshots/snapshotter.ts";
import { type BuildCache, cacheKey } from "./cache.ts";
import type { BuildContext } from "./context.ts";
import { type CopyEntry, copyInto, hashEntries, planCopy, requireSlashForSeveral } from "./copy.ts";
import {
  DockerfileError,
  type Instruction,
  type ParsedDockerfile,
  parseDockerfile,
  parseInstructionText,
  parseJsonOrShell,
  type Stage,
  splitKeepingQuotes,
} from "./dockerfile.ts";
import { type Heredoc, isHeredocOnly } from "./heredoc.ts";
import { type BuildPruneOptions, pruneBuildCache } from "./prune.ts";
import { download, isRemoteUrl } from "./remote.ts";
import { type BuildCacheRecord, type CacheMounts, parseRunMount, type RunMount } from "./run-mounts.ts";
import { expandHeredoc, expandWord } from "./shell-lex.ts";
import { DirSource } from "./source-fs.ts";
import { neededStages, OrderedOutput, stageDependencies } from "./stage-graph.ts";
import {
  applyMetadata,
  argsPrefix,
  commandOf,
  newState,
  predefinedArgs,
  runEnv,
  type StageState,
  shellOf,
  substitutionEnv,
} from "./state.ts";

/** A build failure shown to the client as Docker's errorDetail (code = the RUN's exit code). */
export class BuildError extends EngineError {
  readonly code: number | undefined;
  override readonly status = 400;
  constructor(message: string, code?: number) {
    super(message);
    this.code = code;
  }
}

/** What the builder needs from the image store (ImageService satisfies it). */
export interface BuildImageStore {
  find(name: string): ImageRecord | undefined;
  config(imageId: string): Promise<ImageConfig>;
  lowerLayers(record: ImageRecord): string[];
  /** The image's unpacked layer directories, topmost first. */
  snapshotDirs(record: ImageRecord): string[];
  commit(opts: {
    parentImage?: string;
    upperDir: string;
    config: ContainerConfig;
    createdBy?: string;
    emptyLayer?: boolean;
    moveUpper?: boolean;
  }): Promise<string>;
  tag(source: string, repo: string, tag?: string): void;
  /** Holds off the image store's orphan sweep while `fn` runs. */
  withLease<T>(fn: () => Promise<T>): Promise<T>;
  /** Keeps layers on disk while the build uses them, even if their image is deleted meanwhile. */
  pinLayers(shorts: readonly string[]): () => void;
  /** Drops layers a build stopped using that no image names any more. */
  releaseLayers(shorts: readonly string[]): Promise<void>;
}

export type BuildContainers = Pick<ContainerService, "create" | "attachOutput" | "start" | "wait" | "remove">;

export type BuildSnapshots = Pick<
  Snapshotter,
  "createContainerLayer" | "mountContainer" | "unmountContainer" | "remove" | "fsDir" | "createLayer"
>;

export interface BuildOptions {
  tags: string[];
  buildArgs: ReadonlyMap<string, string>;
  labels: Record<string, string>;
  target?: string;
  noCache: boolean;
  /** Remove intermediate containers (after success; after failure too — see forceRm). */
  rm: boolean;
  forceRm: boolean;
  quiet: boolean;
  networkMode?: string;
  /** `--add-host` for RUN containers ("name:ip"). */
  extraHosts?: string[];
  /** /dev/shm size of RUN containers, bytes. */
  shmSize?: number;
}

export interface BuildOutput {
  stream(text: string): void;
  aux(value: unknown): void;
}

export interface BuilderDeps {
  images: BuildImageStore;
  containers: BuildContainers;
  snapshots: BuildSnapshots;
  cache: BuildCache;
  /** Scratch space for one build's files (heredoc scripts and sources); emptied at start-up. */
  tmpDir: string;
  /** Persistent `RUN --mount=type=cache` directories, one per id. */
  cacheMounts: CacheMounts;
}

const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex");
const short = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);

interface StepCommit {
  createdBy: string;
  emptyLayer?: boolean;
  upperDir?: string;
  /** upperDir is a throwaway layer: the commit may take it over. */
  moveUpper?: boolean;
}

export class Builder {
  private readonly d: BuilderDeps;

  constructor(deps: BuilderDeps) {
    this.d = deps;
  }

  /** POST /build/prune (see prune.ts): returns the records removed and the bytes freed. */
  pruneCache(opts: BuildPruneOptions): Promise<{ removed: string[]; bytes: number }> {
    return pruneBuildCache(
      {
        cache: this.d.cache,
        mounts: this.d.cacheMounts,
        imageExists: (id) => this.d.images.find(id) !== undefined,
      },
      opts,
    );
  }

  /** The RUN cache mounts as GET /system/df's BuildCache records. */
  cacheRecords(): Promise<BuildCacheRecord[]> {
    return this.d.cacheMounts.records();
  }

  async build(ctx: BuildContext, opts: BuildOptions, out: BuildOutput, signal: AbortSignal): Promise<string> {
    // Under the image store's lease: the GC's orphan sweep must not take this build's
    // temporary snapshots and not-yet-referenced layers.
    const run = new BuildRun(this.d, ctx, opts, out, signal);
    return this.d.images.withLease(() => run.run().finally(() => run.releaseBases()));
  }
}

class BuildRun {
  private readonly d: BuilderDeps;
  private readonly ctx: BuildContext;
  private readonly opts: BuildOptions;
  private readonly out: BuildOutput;
  /** The client's cancellation, or this build's own once a concurrent stage failed. */
  private readonly signal: AbortSignal;
  private readonly failed = new AbortController();
  private readonly usedArgs = new Set<string>();
  private readonly stageImages = new Map<string, string | undefined>();
  /** Which stage the running code belongs to (stages run concurrently). */
  private readonly current = new AsyncLocalStorage<{ slot: number; step: number }>();
  private output: OrderedOutput | undefined;
  /** Layers of the FROM images, held until the build ends (an `rmi` meanwhile cannot take them). */
  private readonly bases: Array<{ shorts: string[]; unpin: () => void }> = [];
  private total = 0;
  private escapeChar = "\\";

  constructor(d: BuilderDeps, ctx: BuildContext, opts: BuildOptions, out: BuildOutput, signal: AbortSignal) {
    this.d = d;
    this.ctx = ctx;
    this.opts = opts;
    this.out = out;
    this.signal = AbortSignal.any([signal, this.failed.signal]);
  }

  /** Lets go of the FROM images' layers (see `bases`). */
  async releaseBases(): Promise<void> {
    for (const { shorts, unpin } of this.bases.splice(0)) {
      unpin();
      await this.d.images.releaseLayers(shorts).catch(() => undefined);
    }
  }

  private say(text: string): void {
    if (this.opts.quiet) return;
    const stage = this.current.getStore();
    if (stage && this.output) this.output.say(stage.slot, text);
    else this.out.stream(text);
  }

  async run(): Promise<string> {
    const parsed = parseDockerfile(this.ctx.dockerfile);
    this.escapeChar = parsed.escapeChar;
    const metaArgs = this.metaArgs(parsed);
    const deps = new Map(
      parsed.stages.map((st) => [
        st.index,
        stageDependencies(parsed.stages, st, expandWord(st.base, metaArgs, this.escapeChar)),
      ]),
    );
    const stages = neededStages(parsed.stages, deps, this.targetIndex(parsed));
    const last = stages.at(-1) as Stage;
    if (Object.keys(this.opts.labels).length > 0) {
      const text = Object.entries(this.opts.labels)
        .map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`)
        .join(" ");
      last.steps.push({ keyword: "LABEL", original: `LABEL ${text}`, line: 0, flags: new Map(), args: text });
    }
    this.total = stages.reduce((n, s) => n + 1 + s.steps.length, 0);
    const result = await this.runStages(stages, deps, metaArgs);
    if (!result) throw new BuildError("No image was generated. Is your Dockerfile empty?");
    const unused = [...this.opts.buildArgs.keys()].filter(
      (k) => !this.usedArgs.has(k) && !predefinedArgs.includes(k) && !metaArgs.has(k),
    );
    if (unused.length)
      this.say(`[Warning] One or more build-args [${unused.sort().join(" ")}] were not consumed\n`);
    this.out.aux({ ID: result });
    this.say(`Successfully built ${short(result)}\n`);
    for (const t of this.opts.tags) {
      const { repo, tag } = splitTag(t);
      this.d.images.tag(result, repo, tag);
      this.say(`Successfully tagged ${familiarTag(tagKey(parseReference(t)))}\n`);
    }
    return result;
  }

  private targetIndex(parsed: ParsedDockerfile): number | undefined {
    if (!this.opts.target) return undefined;
    const target = this.opts.target.toLowerCase();
    const i = parsed.stages.findIndex((s) => s.name === target);
    if (i < 0) throw new BuildError(`failed to reach build target ${this.opts.target} in Dockerfile`);
    return i;
  }

  /**
   * Runs every stage as soon as the stages it uses are built, so independent ones overlap.
   * The first failure cancels the others; the build fails once they have all stopped (their
   * containers and temporary layers gone). Returns the last stage's image.
   */
  private async runStages(
    stages: Stage[],
    deps: ReadonlyMap<number, Set<number>>,
    metaArgs: Map<string, string>,
  ): Promise<string | undefined> {
    const output = new OrderedOutput(stages.length, (text) => this.out.stream(text));
    this.output = output;
    const tasks = new Map<number, Promise<string | undefined>>();
    let firstError: unknown;
    let step = 0;
    for (const [slot, stage] of stages.entries()) {
      const first = step;
      step += 1 + stage.steps.length;
      const needs = [...(deps.get(stage.index) ?? [])].map((i) => tasks.get(i));
      const task = (async () => {
        await Promise.all(needs);
        const id = await this.current.run({ slot, step: first }, () => this.runStage(stage, metaArgs));
        this.stageImages.set(String(stage.index), id);
        if (stage.name) this.stageImages.set(stage.name, id);
        return id;
      })()
        .catch((err: unknown) => {
          firstError ??= err;
          this.failed.abort();
          throw err;
        })
        .finally(() => output.finish(slot));
      task.catch(() => undefined); // reported through firstError below
      tasks.set(stage.index, task);
    }
    const settled = await Promise.allSettled(tasks.values());
    this.output = undefined;
    if (firstError !== undefined) {
      output.flushAll();
      throw firstError;
    }
    const lastResult = settled.at(-1);
    return lastResult?.status === "fulfilled" ? lastResult.value : undefined;
  }

  /** ARGs before the first FROM, overridden by build args. */
  private metaArgs(parsed: ParsedDockerfile): Map<string, string> {
    const values = new Map<string, string>();
    for (const ins of parsed.metaArgs) {
      for (const word of splitKeepingQuotes(ins.args, parsed.escapeChar)) {
        const eq = word.indexOf("=");
        const name = eq < 0 ? word : word.slice(0, eq);
        if (this.opts.buildArgs.has(name)) values.set(name, this.opts.buildArgs.get(name) as string);
        else if (eq >= 0) values.set(name, expandWord(word.slice(eq + 1), values, parsed.escapeChar));
      }
    }
    return values;
  }

  private header(ins: Instruction): void {
    const stage = this.current.getStore();
    if (stage) stage.step++;
    this.say(`Step ${stage?.step ?? 0}/${this.total} : ${ins.original}\n`);
  }

  private async runStage(stage: Stage, metaArgs: Map<string, string>): Promise<string | undefined> {
    this.header(stage.from);
    const base = expandWord(stage.base, metaArgs, this.escapeChar);
    let state: StageState;
    if (base.toLowerCase() === "scratch") {
      state = newState({}, undefined, this.escapeChar);
      this.say(" ---> \n");
    } else if (this.stageImages.has(base.toLowerCase())) {
      const id = this.stageImages.get(base.toLowerCase());
      state = newState(id ? ((await this.d.images.config(id)).config ?? {}) : {}, id, this.escapeChar);
      this.say(` ---> ${id ? short(id) : ""}\n`);
    } else {
      const image = this.d.images.find(base);
      if (!image)
        throw new BuildError(
          `pull access denied for ${base}, repository does not exist or may require 'docker login': No such image: ${base}`,
        );
      const shorts = this.d.images.lowerLayers(image);
      this.bases.push({ shorts, unpin: this.d.images.pinLayers(shorts) });
      state = newState((await this.d.images.config(image.id)).config ?? {}, image.id, this.escapeChar);
      this.say(` ---> ${short(image.id)}\n`);
      const triggers = state.config.OnBuild ?? [];
      state.config.OnBuild = [];
      if (triggers.length) {
        this.say(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? "s" : ""}\n`);
        for (const t of triggers) await this.runStep(state, parseInstructionText(t), metaArgs);
      }
    }
    for (const ins of stage.steps) {
      if (this.signal.aborted) throw new BuildError("build cancelled");
      this.header(ins);
      await this.runStep(state, ins, metaArgs);
    }
    return state.imageId;
  }

  private async runStep(state: StageState, ins: Instruction, metaArgs: Map<string, string>): Promise<void> {
    try {
      switch (ins.keyword) {
        case "RUN":
          return await this.runCommand(state, ins);
        case "COPY":
        case "ADD":
          return await this.copy(state, ins);
        default: {
          const before = structuredClone(state.config);
          const comment = applyMetadata(state, ins, this.opts.buildArgs, metaArgs, this.usedArgs);
          if (comment === undefined) throw new DockerfileError(`unknown instruction: ${ins.keyword}`);
          const createdBy = [...shellOf({ ...state, config: before }), "#(nop) ", comment].join(" ");
          await this.commitStep(state, { createdBy, emptyLayer: true }, [createdBy, state.config]);
        }
      }
    } catch (err) {
      if (err instanceof BuildError) throw err;
      throw new BuildError((err as Error).message);
    }
  }

  /** Commits a step (or reuses the cached result) and prints its image ID. */
  private async commitStep(
    state: StageState,
    commit: StepCommit,
    keyParts: unknown,
    work?: () => Promise<StepCommit & { cleanup?: () => Promise<void> }>,
  ): Promise<void> {
    const key = cacheKey(state.imageId, keyParts);
    if (!this.opts.noCache) {
      const hit = this.d.cache.lookup(key, (id) => this.d.images.find(id) !== undefined);
      if (hit) {
        this.say(` ---> Using cache\n`);
        this.adopt(state, hit);
        this.say(` ---> ${short(hit)}\n`);
        return;
      }
    }
    let final = commit;
    let cleanup: (() => Promise<void>) | undefined;
    try {
      if (work) {
        const done = await work();
        final = done;
        cleanup = done.cleanup;
      }
      // A step that changed no file adds no layer: images.commit finds that out itself.
      const id = await this.d.images.commit({
        parentImage: state.imageId,
        upperDir: final.upperDir ?? "",
        config: state.config,
        createdBy: final.createdBy,
        emptyLayer: final.emptyLayer,
        moveUpper: final.moveUpper,
      });
      this.d.cache.store(key, id);
      state.imageId = id;
      if (cleanup) await cleanup();
      cleanup = undefined;
      this.say(` ---> ${short(id)}\n`);
    } finally {
      if (cleanup) await cleanup().catch(() => undefined);
    }
  }

  /** A cache hit: continue from that image, keeping this stage's config as it now stands. */
  private adopt(state: StageState, imageId: string): void {
    state.imageId = imageId;
  }

  private async runCommand(state: StageState, ins: Instruction): Promise<void> {
    const heredoc =
      ins.heredocs?.length === 1 && isHeredocOnly({ command: ins.args, heredocs: ins.heredocs });
    // A lone `<<EOF` is a script file; otherwise the shell gets the full text and does the heredocs.
    const { argv, shellForm } = commandOf(state, heredoc ? ins.args : (ins.source ?? ins.args));
    if (!shellForm && argv.length === 0) throw new BuildError("RUN requires at least one argument");
    const script = heredoc ? ins.heredocs?.[0] : undefined;
    const createdBy = [...argsPrefix(state), ...argv].join(" ") + (script ? `\n${script.content}` : "");
    const env = runEnv(state);
    const subst = substitutionEnv(state);
    const mounts = (ins.mounts ?? []).map((spec) => parseRunMount(expandWord(spec, subst, this.escapeChar)));
    // Bound files are part of what the RUN sees: their content is in the cache key, caches are not.
    const mountKeys = await Promise.all(mounts.map((m) => this.mountKey(m)));
    const keyParts = ["RUN", argv, script?.content, mountKeys, argsPrefix(state), state.config];
    await this.commitStep(state, { createdBy }, keyParts, async () => {
      const files = await mkdtemp(join(this.d.tmpDir, "run-"));
      const releases: Array<() => Promise<void>> = [];
      let ran: { id: string; exitCode: number };
      try {
        let runArgv = argv;
        const hostMounts: MountRequest[] = [];
        if (script) {
          await writeFile(join(files, "script"), script.content, { mode: 0o755 });
          const target = posix.join("/dev/pipes", script.name);
          hostMounts.push({ Type: "bind", Source: join(files, "script"), Target: target, ReadOnly: true });
          runArgv = script.content.startsWith("#!") ? [target] : [...shellOf(state), target];
        }
        for (const [i, m] of mounts.entries())
          hostMounts.push(await this.prepareMount(m, join(files, `m${i}`), releases, argv.join(" ")));
        ran = await this.runContainer(state, runArgv, env, hostMounts);
      } finally {
        for (const release of releases.reverse()) await release().catch(() => undefined);
        await rm(files, { recursive: true, force: true });
      }
      const { id, exitCode } = ran;
      const remove = () => this.d.containers.remove(id, { force: true, volumes: true });
      if (exitCode !== 0) {
        if (this.opts.rm || this.opts.forceRm) await remove().catch(() => undefined);
        throw new BuildError(
          `The command '${argv.join(" ")}' returned a non-zero code: ${exitCode}`,
          exitCode,
        );
      }
      return {
        createdBy,
        upperDir: this.d.snapshots.fsDir(id),
        cleanup: async () => {
          if (!this.opts.rm && !this.opts.forceRm) return;
          await remove();
          this.say(`Removing intermediate container ${short(id)}\n`);
        },
      };
    });
  }

  private async runContainer(
    state: StageState,
    argv: string[],
    env: string[],
    mounts: MountRequest[] = [],
  ): Promise<{ id: string; exitCode: number }> {
    if (!state.imageId)
      throw new BuildError("RUN in an empty stage: FROM scratch has no shell or files to run");
    const { Id: id } = await this.d.containers.create(
      undefined,
      {
        Image: state.imageId,
        Entrypoint: argv,
        Cmd: [],
        Env: env,
        WorkingDir: state.config.WorkingDir ?? "",
        User: state.config.User ?? "",
        Labels: {},
        Healthcheck: { Test: ["NONE"] },
        HostConfig: {
          NetworkMode: this.opts.networkMode || "default",
          ...(mounts.length ? { Mounts: mounts } : {}),
          ...(this.opts.extraHosts?.length ? { ExtraHosts: this.opts.extraHosts } : {}),
          ...(this.opts.shmSize ? { ShmSize: this.opts.shmSize } : {}),
        },
      },
      // Kept containers (--rm=false) are the user's; the others die with a build cut short.
      { buildStep: this.opts.rm || this.opts.forceRm },
    );
    this.say(` ---> Running in ${short(id)}\n`);
    const abort = new AbortController();
    const onCancel = () =>
      void this.d.containers.remove(id, { force: true, volumes: true }).catch(() => undefined);
    this.signal.addEventListener("abort", onCancel);
    // A client gone before the listener was added (or while start ran) never fires it.
    const stopIfCancelled = () => {
      if (!this.signal.aborted) return;
      onCancel();
      throw new BuildError("build cancelled");
    };
    try {
      stopIfCancelled();
      const output = await this.d.containers.attachOutput(
        id,
        { logs: true, stream: true, stdout: true, stderr: true },
        abort.signal,
      );
      const waiting = this.d.containers.wait(id, "next-exit", abort.signal);
      waiting.catch(() => undefined);
      try {
        await this.d.containers.start(id);
      } catch (err) {
        await this.d.containers.remove(id, { force: true, volumes: true }).catch(() => undefined);
        throw new BuildError((err as Error).message, 127);
      }
      stopIfCancelled();
      for await (const entry of output.entries) this.say(entry.data.toString("utf8"));
      const { StatusCode } = await waiting;
      return { id, exitCode: StatusCode };
    } finally {
      abort.abort();
      this.signal.removeEventListener("abort", onCancel);
    }
  }

  /** What a RUN mount contributes to the step's cache key. */
  private async mountKey(m: RunMount): Promise<unknown> {
    if (m.type !== "bind") return m;
    if (m.from !== undefined) {
      const name = m.from.toLowerCase();
      const id = this.stageImages.has(name) ? this.stageImages.get(name) : this.d.images.find(m.from)?.id;
      return { ...m, image: id ?? m.from };
    }
    const root = { fs: this.ctx.files, ignored: this.ctx.ignored };
    const entries = await planCopy(root, [m.source], "/", {
      add: false,
      keyword: "RUN --mount",
      destIsDir: true,
    });
    return { ...m, digest: await hashEntries(entries) };
  }

  /** Makes a RUN mount ready on the host; what must be undone afterwards goes into `releases`. */
  private async prepareMount(
    m: RunMount,
    scratch: string,
    releases: Array<() => Promise<void>>,
    command: string,
  ): Promise<MountRequest> {
    if (m.type === "tmpfs")
      return { Type: "tmpfs", Target: m.target, ...(m.size ? { TmpfsOptions: { SizeBytes: m.size } } : {}) };
    if (m.type === "cache") {
      const from = m.from;
      const seed =
        from === undefined ? undefined : (dir: string) => this.seedCache(from, m.source ?? "/", dir);
      const cache = await this.d.cacheMounts.acquire(m, command, seed);
      releases.push(cache.release);
      return { Type: "bind", Source: cache.dir, Target: m.target, ReadOnly: m.readOnly };
    }
    let rootDir: string;
    if (m.from !== undefined) {
      const source = await this.mountSource(m.from);
      releases.push(source.dispose);
      rootDir = source.dir;
    } else if (posix.normalize(m.source).startsWith("../") || posix.normalize(m.source) === "..") {
      throw new BuildError(`RUN --mount: forbidden path outside the build context: ${m.source}`);
    } else {
      rootDir = await this.ctx.materialize();
    }
    // Resolved like a path inside that root: symlinks and ".." cannot leave it.
    const host = join(rootDir, await resolveInRoot(rootDir, m.source));
    if (!(await lstat(host).catch(() => undefined)))
      throw new BuildError(`failed to compute cache key: "${posix.join("/", m.source)}": not found`);
    if (m.readOnly) return { Type: "bind", Source: host, Target: m.target, ReadOnly: true };
    // rw: writes go to a throwaway copy, never back to the context or the stage.
    await cp(host, scratch, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    return { Type: "bind", Source: scratch, Target: m.target, ReadOnly: false };
  }

  /** RUN --mount=type=cache,from=…: a new cache starts as a copy of that stage's or image's `source`. */
  private async seedCache(from: string, source: string, dir: string): Promise<void> {
    const view = await this.mountSource(from);
    try {
      const host = join(view.dir, await resolveInRoot(view.dir, source));
      const st = await lstat(host).catch(() => undefined);
      if (!st?.isDirectory())
        throw new BuildError(
          `RUN --mount=type=cache,from=${from}: ${posix.join("/", source)} is not a directory`,
        );
      await cp(host, dir, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    } finally {
      await view.dispose();
    }
  }

  private async copy(state: StageState, ins: Instruction): Promise<void> {
    const add = ins.keyword === "ADD";
    const env = substitutionEnv(state);
    const parsed = parseJsonOrShell(ins.args);
    const words = ("exec" in parsed ? parsed.exec : splitKeepingQuotes(parsed.shell, this.escapeChar)).map(
      (w) => expandWord(w, env, this.escapeChar),
    );
    if (words.length < 2) throw new BuildError(`${ins.keyword} requires at least two arguments`);
    const rawDest = words.at(-1) as string;
    const workdir = state.config.WorkingDir || "/";
    const dest = rawDest.startsWith("/") ? rawDest : posix.join(workdir, rawDest);
    const destIsDir = rawDest.endsWith("/") || rawDest === "." || rawDest.endsWith("/.");
    const from = ins.flags.get("from");
    const chown = ins.flags.get("chown");
    const chmodFlag = ins.flags.get("chmod");
    if (from !== undefined && add) throw new BuildError("ADD does not support --from");
    const mode = chmodFlag ? Number.parseInt(chmodFlag, 8) : undefined;
    if (chmodFlag && (!/^[0-7]{3,4}$/.test(chmodFlag) || Number.isNaN(mode)))
      throw new BuildError(`invalid chmod parameter: ${chmodFlag}`);

    const sources = words.slice(0, -1);
    if (!add && sources.some(isRemoteUrl))
      throw new BuildError(`${ins.keyword} failed: source can't be a URL for ${ins.keyword}`);
    const inline = ins.heredocs ? heredocSources(sources, ins.heredocs) : [];
    const local = sources.filter((_, i) => !inline.some((h) => h.index === i));
    const urls = add ? local.filter(isRemoteUrl) : [];
    const fromFiles = local.filter((s) => !urls.includes(s));
    const source = from !== undefined ? await this.mountSource(from ?? "") : undefined;
    // Downloads live until the step is done (committed or failed), then go.
    const downloads = urls.length ? await mkdtemp(join(this.d.tmpDir, "add-")) : undefined;
    try {
      const root = source ? { dir: source.dir } : { fs: this.ctx.files, ignored: this.ctx.ignored };
      const multi = sources.length > 1;
      const destEndsWithSlash = rawDest.endsWith("/");
      if (!fromFiles.length)
        requireSlashForSeveral(ins.keyword, urls.length + inline.length, destEndsWithSlash);
      // Downloaded first and hashed, then looked up: Docker's classic cache for remote files.
      const remoteEntries = downloads
        ? await this.downloadSources(urls, downloads, dest, destIsDir || multi, ins.keyword)
        : [];
      const entries = fromFiles.length
        ? await planCopy(root, fromFiles, dest, {
            add,
            keyword: ins.keyword,
            destIsDir: destIsDir || multi,
            severalNeedSlash: { otherSources: urls.length + inline.length, destEndsWithSlash },
          })
        : [];
      entries.push(...remoteEntries);
      const inlineEntries: CopyEntry[] = inline.map(({ heredoc }) => {
        const content = heredoc.expand
          ? expandHeredoc(heredoc.content, env, this.escapeChar)
          : heredoc.content;
        return {
          data: Buffer.from(content),
          rel: `<<${heredoc.name}`,
          dest: destIsDir || multi ? posix.join(dest, heredoc.name) : dest,
          kind: "file",
          mode: 0o644,
          mtime: new Date(0),
        };
      });
      // Content from another image is fixed by that image's ID; context content is hashed.
      const digest = source
        ? sha256Hex(
            `${source.imageId} ${entries.map((e) => `${e.rel}>${e.dest}`).join(",")} ${await hashEntries(inlineEntries)}`,
          )
        : await hashEntries([...entries, ...inlineEntries]);
      entries.push(...inlineEntries);
      const single = entries.length === 1 || (entries[0]?.kind === "dir" && words.length === 2);
      // Docker names a single downloaded file by its hash alone (no "file:").
      const hash =
        single && remoteEntries.length === 1
          ? digest
          : `${single ? (entries[0]?.kind === "dir" ? "dir" : "file") : "multi"}:${digest}`;
      const createdBy = `${shellOf(state).join(" ")} #(nop) ${ins.keyword} ${hash} in ${dest} `;
      const link = ins.flags.has("link") && ins.flags.get("link") !== "false";
      const copied = [ins.keyword, digest, dest, chown, chmodFlag];
      await this.commitStep(
        state,
        { createdBy },
        [...copied, state.config, ...(link ? ["link"] : [])],
        async () => {
          if (link) return this.linkedLayer(state, copied, createdBy, entries, chown, mode);
          const layer = await this.tempLayer(state.imageId);
          try {
            const own = await this.ownership(layer.rootfs, chown);
            await copyInto(layer.rootfs, entries, { ...own, mode });
            await this.d.snapshots.unmountContainer(layer.id);
          } catch (err) {
            await layer.dispose();
            throw err;
          }
          return {
            createdBy,
            upperDir: this.d.snapshots.fsDir(layer.id),
            moveUpper: true,
            cleanup: layer.dispose,
          };
        },
      );
    } finally {
      await source?.dispose();
      if (downloads) await rm(downloads, { recursive: true, force: true });
    }
  }

  /**
   * ADD's remote sources, each downloaded into `dir` (see remote.ts). A directory destination
   * takes the file's name from the URL; without one Docker fails, and a file destination that
   * is an existing directory gets "__unnamed__" in it.
   */
  private async downloadSources(
    urls: string[],
    dir: string,
    dest: string,
    destIsDir: boolean,
    keyword: string,
  ): Promise<CopyEntry[]> {
    const from = new DirSource(dir);
    const entries: CopyEntry[] = [];
    for (const [i, url] of urls.entries()) {
      // The file's name in `dir` is its position, so the cache key never holds a temp name.
      const rel = String(i);
      const got = await download(url, join(dir, rel), this.signal);
      this.say("\n");
      if (!got.name && destIsDir)
        throw new BuildError(`${keyword} failed: cannot determine filename for source ${url}`);
      const name = got.name || "__unnamed__";
      entries.push({
        from,
        rel,
        dest: destIsDir ? posix.join(dest, name) : dest,
        kind: "file",
        mode: 0o600,
        mtime: got.mtime,
        nameInDir: name,
      });
    }
    return entries;
  }

  /**
   * COPY --link: the files go into a layer of their own, made on an empty tree and cached by
   * what was copied alone (not by the parent), then laid on the parent as they are. A change
   * below a --link COPY reuses its layer instead of copying again.
   */
  private async linkedLayer(
    state: StageState,
    copied: unknown[],
    createdBy: string,
    entries: CopyEntry[],
    chown: string | null | undefined,
    mode: number | undefined,
  ): Promise<StepCommit> {
    const key = cacheKey(undefined, ["link", ...copied]);
    const exists = (id: string) => this.d.images.find(id) !== undefined;
    let image = this.opts.noCache ? undefined : this.d.cache.lookup(key, exists);
    if (!image) {
      // Names in --chown still mean the parent's users (numeric ids need no lookup).
      const own = await this.linkOwnership(state.imageId, chown);
      const layer = await this.tempLayer(undefined);
      try {
        await copyInto(layer.rootfs, entries, { ...own, mode });
        await this.d.snapshots.unmountContainer(layer.id);
        const upperDir = this.d.snapshots.fsDir(layer.id);
        image = await this.d.images.commit({
          upperDir,
          config: {},
          createdBy,
          moveUpper: true,
        });
      } finally {
        await layer.dispose();
      }
      this.d.cache.store(key, image);
    }
    const record = this.d.images.find(image);
    const top = record && record.layers.length > 0 ? this.d.images.snapshotDirs(record)[0] : undefined;
    // Read only: the commit puts a copy of the layer's diff on top of the parent.
    return top ? { createdBy, upperDir: top } : { createdBy, emptyLayer: true };
  }

  private async linkOwnership(
    parent: string | undefined,
    chown: string | null | undefined,
  ): Promise<{ uid: number; gid: number }> {
    if (!chown || /^\d+(:\d+)?$/.test(chown) || !parent) return this.ownership("/nonexistent", chown);
    const view = await this.tempLayer(parent);
    try {
      return await this.ownership(view.rootfs, chown);
    } finally {
      await this.d.snapshots.unmountContainer(view.id).catch(() => undefined);
      await view.dispose();
    }
  }

  private async ownership(
    rootfs: string,
    chown: string | null | undefined,
  ): Promise<{ uid: number; gid: number }> {
    if (!chown) return { uid: 0, gid: 0 };
    const files = await readUserFiles(rootfs);
    try {
      const user = resolveUser(chown, files.passwd, files.group);
      // "user" alone: Docker uses the user's uid for both (not its primary group).
      const gid = chown.includes(":") ? user.gid : user.uid;
      return { uid: user.uid, gid };
    } catch (err) {
      throw new BuildError(
        `unable to convert uid/gid chown string to host mapping: ${(err as Error).message}`,
      );
    }
  }

  /** A writable layer over `imageId` (or over nothing), mounted. */
  private async tempLayer(
    imageId: string | undefined,
  ): Promise<{ id: string; rootfs: string; dispose: () => Promise<void> }> {
    const id = `build-${randomBytes(16).toString("hex")}`;
    const emptyId = `${id}-empty`;
    let emptyShort: string | undefined;
    let held: { shorts: string[]; unpin: () => void } | undefined;
    const dispose = async () => {
      await this.d.snapshots.remove(id);
      if (emptyShort) await this.d.snapshots.remove(emptyId, emptyShort);
      if (held) {
        held.unpin();
        await this.d.images.releaseLayers(held.shorts);
      }
    };
    try {
      await this.d.snapshots.createContainerLayer(id);
      let lowers: string[];
      const image = imageId ? this.d.images.find(imageId) : undefined;
      if (image && image.layers.length > 0) {
        lowers = this.d.images.lowerLayers(image);
        held = { shorts: lowers, unpin: this.d.images.pinLayers(lowers) };
      } else {
        emptyShort = await this.d.snapshots.createLayer(emptyId);
        lowers = [emptyShort];
      }
      const rootfs = await this.d.snapshots.mountContainer(id, lowers);
      return { id, rootfs, dispose };
    } catch (err) {
      await dispose();
      throw err;
    }
  }

  /** COPY --from: a stage of this build, or any local image, mounted read-only-by-convention. */
  private async mountSource(
    from: string,
  ): Promise<{ dir: string; imageId: string; dispose: () => Promise<void> }> {
    const name = from.toLowerCase();
    let imageId: string | undefined;
    if (this.stageImages.has(name)) imageId = this.stageImages.get(name);
    else {
      const image = this.d.images.find(from);
      if (!image) throw new BuildError(`invalid from flag value ${from}: No such image: ${from}`);
      imageId = image.id;
    }
    const layer = await this.tempLayer(imageId);
    return {
      dir: layer.rootfs,
      imageId: imageId ?? "scratch",
      dispose: async () => {
        await this.d.snapshots.unmountContainer(layer.id).catch(() => undefined);
        await layer.dispose();
      },
    };
  }
}

/** COPY/ADD sources written `<<NAME`: which heredoc each one is. */
function heredocSources(sources: string[], heredocs: Heredoc[]): Array<{ index: number; heredoc: Heredoc }> {
  const out: Array<{ index: number; heredoc: Heredoc }> = [];
  for (const [index, word] of sources.entries()) {
    const m = /^\d*<<-?["']?([A-Za-z_][A-Za-z0-9_.-]*)["']?$/.exec(word);
    const heredoc = m ? heredocs.find((h) => h.name === m[1]) : undefined;
    if (heredoc) out.push({ index, heredoc });
  }
  return out;
}

function splitTag(ref: string): { repo: string; tag?: string } {
  const slash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  if (colon > slash) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref };
}
