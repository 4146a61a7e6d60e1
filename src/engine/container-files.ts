// A container's files seen from outside: export, cp (archive GET/PUT/HEAD), changes and commit.
// Works on running and stopped containers: a stopped container's root is mounted for the call
// at a private mount point (read-only unless writing), then unmounted.
import { randomBytes } from "node:crypto";
import { lstat, mkdir, rmdir } from "node:fs/promises";
import { join, posix } from "node:path";
import type { Readable } from "node:stream";
import { mountOverlay, unmount } from "../platform/mount.ts";
import type { ContainerConfig as WireContainerConfig } from "../wire/containers.ts";
import type { ContainerRecord, ContainerRepository } from "./containers/record.ts";
import { InvalidParameterError, NotFoundError } from "./errors.ts";
import type { ContainerConfig } from "./images/oci.ts";
import type { ImageService } from "./images/service.ts";
import type { Change } from "./snapshots/diff.ts";
import { extractInto, type PathStat, packTree, pathStat, resolveInRoot, tarOf } from "./snapshots/rootfs.ts";
import type { Snapshotter } from "./snapshots/snapshotter.ts";

/** Image config fields a commit takes from the container's config. */
const imageConfigKeys = [
  "User",
  "ExposedPorts",
  "Env",
  "Entrypoint",
  "Cmd",
  "Volumes",
  "WorkingDir",
  "Labels",
  "StopSignal",
  "OnBuild",
  "Healthcheck",
] as const;

export interface CommitRequest {
  container: string;
  repo?: string;
  tag?: string;
  author?: string;
  comment?: string;
  changes?: string[];
  pause: boolean;
  /** The request body: overrides the container's config field by field (Docker's merge). */
  config?: WireContainerConfig;
}

/** Pausing around a commit as `docker pause` does it (state, events), and the events of file operations. */
export interface CommitLifecycle {
  pause(ref: string): Promise<void>;
  unpause(ref: string): Promise<void>;
  publish(c: ContainerRecord, action: string, extra?: Record<string, string>): void;
}

export class ContainerFiles {
  private readonly containers: ContainerRepository;
  private readonly images: ImageService;
  private readonly snapshots: Snapshotter;
  private readonly lifecycle: CommitLifecycle;

  constructor(deps: {
    containers: ContainerRepository;
    images: ImageService;
    snapshots: Snapshotter;
    lifecycle: CommitLifecycle;
  }) {
    this.containers = deps.containers;
    this.images = deps.images;
    this.snapshots = deps.snapshots;
    this.lifecycle = deps.lifecycle;
  }

  /**
   * Runs `fn` with the container's merged root. Reads get a private read-only overlay (the
   * live mount of a container that just exited may vanish under us); writes go through the live
   * mount of a running container, else a private writable overlay.
   */
  private async withRoot<T>(
    c: ContainerRecord,
    writable: boolean,
    fn: (root: string) => Promise<T>,
  ): Promise<T> {
    if (writable && c.state.Running && this.snapshots.isContainerMounted(c.id))
      return fn(join(this.snapshots.root, c.id, "merged"));
    const target = join(this.snapshots.root, c.id, `view-${randomBytes(4).toString("hex")}`);
    await mkdir(target, { mode: 0o700 });
    try {
      const upper = join(c.id, "fs");
      await mountOverlay({
        target,
        cwd: this.snapshots.root,
        ...(writable
          ? { lowerDirs: c.lowerLayers.map((s) => `l/${s}`), upperDir: upper, workDir: join(c.id, "work") }
          : { lowerDirs: [upper, ...c.lowerLayers.map((s) => `l/${s}`)], readonly: true }),
      });
      try {
        return await fn(target);
      } finally {
        await unmount(target);
      }
    } finally {
      await rmdir(target).catch(() => undefined);
    }
  }

  /** Like withRoot, but keeps the mount until the returned stream ends. */
  private streamFromRoot(c: ContainerRecord, make: (root: string) => Promise<Readable>): Promise<Readable> {
    return new Promise((resolve, reject) => {
      this.withRoot(c, false, async (root) => {
        const stream = await make(root);
        resolve(stream);
        await new Promise<void>((done) => {
          stream.on("close", () => done());
          stream.on("end", () => done());
          stream.on("error", () => done());
        });
      }).catch(reject);
    });
  }

  /** `GET /containers/{id}/export`: the whole root filesystem as a tar. */
  export(ref: string): Promise<Readable> {
    const c = this.containers.get(ref);
    const tar = this.streamFromRoot(c, async (root) => tarOf((pack) => packTree(pack, root, "")));
    this.lifecycle.publish(c, "export");
    return tar;
  }

  /** Docker names the container as the client did (name or ID). */
  private notFound(ref: string, path: string): NotFoundError {
    return new NotFoundError(`Could not find the file ${path} in container ${ref}`);
  }

  private async statIn(ref: string, root: string, path: string): Promise<{ host: string; stat: PathStat }> {
    const followLast = path.endsWith("/") || path.endsWith("/.");
    const { host } = await resolveInRoot(root, path, followLast);
    const st = await lstat(host).catch(() => undefined);
    if (!st) throw this.notFound(ref, path);
    // Docker reports where a symlink leads, resolved inside the container.
    const linkTarget = st.isSymbolicLink() ? (await resolveInRoot(root, path, true)).inside : "";
    return { host, stat: pathStat(posix.basename(path.replace(/\/+$/, "")) || "/", st, linkTarget) };
  }

  /** `HEAD /containers/{id}/archive`. */
  async statPath(ref: string, path: string): Promise<PathStat> {
    const c = this.containers.get(ref);
    if (!path) throw new InvalidParameterError("path is required");
    return this.withRoot(c, false, async (root) => (await this.statIn(ref, root, path)).stat);
  }

  /** `GET /containers/{id}/archive`: the path's stat and a tar of it named by its base name. */
  async getArchive(ref: string, path: string): Promise<{ stat: PathStat; tar: Readable }> {
    const c = this.containers.get(ref);
    if (!path) throw new InvalidParameterError("path is required");
    let stat: PathStat | undefined;
    const tar = await this.streamFromRoot(c, async (root) => {
      const found = await this.statIn(ref, root, path);
      stat = found.stat;
      const base = path.endsWith("/.") ? "." : posix.basename(path.replace(/\/+$/, "")) || ".";
      this.lifecycle.publish(c, "archive-path");
      return tarOf((pack) => packTree(pack, found.host, base === "." ? "" : base));
    });
    return { stat: stat as PathStat, tar };
  }

  /** `PUT /containers/{id}/archive`: extracts a tar into the directory `path`. */
  async putArchive(ref: string, path: string, tar: Readable, opts: { copyUIDGID: boolean }): Promise<void> {
    const c = this.containers.get(ref);
    if (!path) throw new InvalidParameterError("path is required");
    if (c.hostConfig.ReadonlyRootfs) throw new InvalidParameterError("container rootfs is marked read-only");
    await this.withRoot(c, true, async (root) => {
      const { host } = await resolveInRoot(root, path, true);
      const st = await lstat(host).catch(() => undefined);
      if (!st) throw this.notFound(ref, path);
      if (!st.isDirectory()) throw new InvalidParameterError(`extraction point is not a directory`);
      await extractInto(tar, host, opts.copyUIDGID ? {} : { owner: { uid: 0, gid: 0 } });
    });
    this.lifecycle.publish(c, "extract-to-dir");
  }

  /** `GET /containers/{id}/changes`. */
  changes(ref: string): Promise<Change[]> {
    const c = this.containers.get(ref);
    // The layers the container sits on, even when its image was deleted (rmi -f) meanwhile.
    const lowers = c.lowerLayers.map((s) => join(this.snapshots.root, "l", s));
    return this.snapshots.changes(this.snapshots.upperDir(c.id), lowers);
  }

  /** `POST /commit`: the container's rw layer becomes a new image on its image's chain. */
  async commit(req: CommitRequest): Promise<string> {
    const c = this.containers.get(req.container);
    const merged: Record<string, unknown> = {};
    for (const key of imageConfigKeys) {
      const fromBody = req.config?.[key];
      const value =
        fromBody !== undefined && fromBody !== null && !isEmpty(fromBody) ? fromBody : c.config[key];
      if (value !== undefined && value !== null && value !== "") merged[key] = value;
    }
    // Docker cannot commit once the image is gone either ("failed to get digest").
    if (!this.images.find(c.imageId)) throw new NotFoundError(`No such image: ${c.imageId}`);
    const pause = req.pause && c.state.Running && !c.state.Paused;
    if (pause) await this.lifecycle.pause(c.id);
    try {
      const id = await this.images.commit({
        parentImage: c.imageId,
        upperDir: this.snapshots.upperDir(c.id),
        config: merged as ContainerConfig,
        changes: req.changes,
        author: req.author,
        comment: req.comment,
        createdBy: [c.path, ...c.args].join(" "),
        repo: req.repo,
        tag: req.tag,
      });
      const imageRef = req.repo ? `${req.repo}${req.tag ? `:${req.tag}` : ""}` : "";
      this.lifecycle.publish(c, "commit", { comment: req.comment ?? "", imageID: id, imageRef });
      return id;
    } finally {
      if (pause) await this.lifecycle.unpause(c.id).catch(() => undefined);
    }
  }
}

function isEmpty(v: unknown): boolean {
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === "object" && v !== null) return Object.keys(v).length === 0;
  return v === "";
}
