// VolumeService: named and anonymous volumes of the local driver (create, list, inspect,
// remove, prune), and what containers need from them: mount points resolved at create, volumes
// mounted and filled (copy-up) at start, released at stop, anonymous ones dropped at rm -v.
import { existsSync } from "node:fs";
import { mkdir, readdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { isMounted, mountsUnder } from "../../platform/volume-mount.ts";
import { diskUsage } from "../../util/du.ts";
import { checkFilterKeys, FilterError, type Filters, matchAny, matchLabels } from "../../util/filters.ts";
import { log } from "../../util/log.ts";
import type { Volume, VolumeCreateRequest } from "../../wire/volumes.ts";
import { ConflictError, EngineError, InvalidParameterError, NotFoundError } from "../errors.ts";
import type { EventBus } from "../events/bus.ts";
import type { RuntimeMount } from "../runtime/spec.ts";
import { copyUp } from "./copy-up.ts";
import { mountLocal, needsMount, unmountLocal, validateLocalOptions } from "./local-driver.ts";
import type { MountPoint } from "./mount-point.ts";
import type { PlannedMount } from "./mount-spec.ts";
import { ANONYMOUS_LABEL, checkVolumeName, generatedVolumeName } from "./names.ts";
import { checkBindPropagation } from "./propagation.ts";
import type { VolumeRecord, VolumeRepository } from "./repository.ts";
import { resolveSubpath } from "./subpath.ts";

/** What the volume service needs to know about a container. */
export interface VolumeUser {
  id: string;
  running: boolean;
  mountPoints: readonly MountPoint[];
}

export interface VolumeServiceDeps {
  repo: VolumeRepository;
  /** <data-root>/volumes */
  root: string;
  events: EventBus;
}

export class VolumeService {
  private readonly d: VolumeServiceDeps;
  private users: () => VolumeUser[] = () => [];
  /** Volumes claimed by containers being created (not yet in the container table). */
  private readonly reserved = new Map<string, Set<string>>();

  constructor(deps: VolumeServiceDeps) {
    this.d = deps;
  }

  /**
   * Creates the volumes dir and drops directories no record owns (a crash between a record's
   * delete and its directory's), so a volume made later under the same name starts empty.
   */
  async init(): Promise<void> {
    await mkdir(this.d.root, { recursive: true, mode: 0o701 });
    for (const name of await readdir(this.d.root)) {
      if (this.d.repo.find(name)) continue;
      const dir = join(this.d.root, name);
      if (mountsUnder(dir).length > 0) {
        log.warn("volume dir without a record is still mounted; left alone", { dir });
        continue;
      }
      log.info("removing volume dir without a record", { dir });
      await rm(dir, { recursive: true, force: true });
    }
  }

  setUsers(fn: () => VolumeUser[]): void {
    this.users = fn;
  }

  /** The daemon's data root (binds of it default to rslave propagation). */
  get daemonRoot(): string {
    return dirname(this.d.root);
  }

  dataDir(name: string): string {
    return join(this.d.root, name, "_data");
  }

  // ---- the volume API ----------------------------------------------------------------------

  async create(req: VolumeCreateRequest): Promise<Volume> {
    const labels = { ...(req.Labels ?? {}) };
    let name = req.Name ?? "";
    if (name === "") {
      name = generatedVolumeName();
      labels[ANONYMOUS_LABEL] = "";
    }
    checkDriver(name, req.Driver);
    const record = await this.ensure(name, { options: { ...(req.DriverOpts ?? {}) }, labels });
    return this.view(record);
  }

  /** The named volume, created with `spec` if it does not exist yet (Docker's get-or-create). */
  private async ensure(
    name: string,
    spec: { options: Record<string, string>; labels: Record<string, string> },
  ): Promise<VolumeRecord> {
    checkVolumeName(name);
    const existing = this.d.repo.find(name);
    if (existing) return existing;
    validateLocalOptions(name, spec.options);
    const record: VolumeRecord = {
      name,
      driver: "local",
      createdAt: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      labels: spec.labels,
      options: spec.options,
    };
    const dir = join(this.d.root, name);
    await mkdir(join(dir, "_data"), { recursive: true, mode: 0o755 });
    // Another create of the same name may have won while we awaited.
    const raced = this.d.repo.find(name);
    if (raced) return raced;
    try {
      this.d.repo.insert(record);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    this.publish(record, "create");
    return record;
  }

  get(name: string): VolumeRecord {
    const record = this.d.repo.find(name);
    if (!record) throw new NotFoundError(`get ${name}: no such volume`);
    return record;
  }

  inspect(name: string): Volume {
    return this.view(this.get(name));
  }

  list(filters: Filters): { Volumes: Volume[]; Warnings: string[] | null } {
    checkFilterKeys(filters, ["dangling", "name", "label", "driver"]);
    const dangling = filters.get("dangling");
    let wantDangling: boolean | undefined;
    for (const v of dangling ?? []) {
      const b = parseBoolFilter("dangling", v);
      if (wantDangling !== undefined && wantDangling !== b)
        throw new FilterError("invalid filter 'dangling'");
      wantDangling = b;
    }
    const inUse = this.inUseNames();
    const volumes = this.d.repo
      .all()
      .filter(
        (v) =>
          (wantDangling === undefined || wantDangling === !inUse.has(v.name)) &&
          matchAny(filters.get("name"), (n) => safeRegExp(n).test(v.name)) &&
          matchAny(filters.get("driver"), (d) => d === v.driver) &&
          matchLabels(filters.get("label"), v.labels),
      )
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((v) => this.view(v));
    return { Volumes: volumes, Warnings: null };
  }

  async remove(name: string, force: boolean): Promise<void> {
    const record = this.d.repo.find(name);
    if (!record) {
      if (force) return;
      throw new NotFoundError(`get ${name}: no such volume`);
    }
    const users = this.usersOf(name);
    if (users.length > 0) throw new ConflictError(`remove ${name}: volume is in use - [${users.join(", ")}]`);
    await this.destroy(record);
  }

  /**
   * Removes unused volumes. As Docker 23+: only anonymous ones unless the `all` filter is set
   * (clients older than API 1.42 get `all` implied, the behaviour they were written for).
   */
  async prune(filters: Filters): Promise<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }> {
    checkFilterKeys(filters, ["label", "label!", "all"]);
    let all = false;
    for (const v of filters.get("all") ?? []) all = parseBoolFilter("all", v);
    const inUse = this.inUseNames();
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const v of this.d.repo.all()) {
      if (inUse.has(v.name)) continue;
      if (!all && !(ANONYMOUS_LABEL in v.labels)) continue;
      if (!matchLabels(filters.get("label"), v.labels)) continue;
      const negated = filters.get("label!");
      if (negated && negated.length > 0 && matchLabelsAny(negated, v.labels)) continue;
      const size = needsMount(v.options) ? 0 : await diskUsage(this.dataDir(v.name));
      try {
        await this.destroy(v);
      } catch (err) {
        log.warn("volume prune: remove failed", { name: v.name, err });
        continue;
      }
      deleted.push(v.name);
      reclaimed += size;
    }
    this.d.events.publish({
      Type: "volume",
      Action: "prune",
      Actor: { ID: "", Attributes: { reclaimed: String(reclaimed) } },
    });
    return { VolumesDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: reclaimed };
  }

  /** Every volume with its size and reference count (GET /system/df). */
  async usage(): Promise<Volume[]> {
    const out: Volume[] = [];
    for (const v of this.d.repo.all()) {
      // A mounted filesystem's size is the device's business: -1, as Docker reports "unknown".
      const size = needsMount(v.options) ? -1 : await diskUsage(this.dataDir(v.name));
      out.push({ ...this.view(v), UsageData: { Size: size, RefCount: this.usersOf(v.name).length } });
    }
    return out;
  }

  private async destroy(v: VolumeRecord): Promise<void> {
    const dir = join(this.d.root, v.name);
    // Never let a recursive delete walk into a mounted filesystem (a bind-style volume's
    // device is someone's data).
    for (const target of mountsUnder(dir).reverse()) await unmountLocal(target);
    if (mountsUnder(dir).length > 0) throw new EngineError(`remove ${v.name}: volume is still mounted`);
    this.d.repo.delete(v.name);
    await rm(dir, { recursive: true, force: true });
    this.publish(v, "destroy");
  }

  private view(v: VolumeRecord): Volume {
    return {
      CreatedAt: v.createdAt,
      Driver: v.driver,
      Labels: sortedOrNull(v.labels),
      Mountpoint: this.dataDir(v.name),
      Name: v.name,
      Options: sortedOrNull(v.options),
      Scope: "local",
    };
  }

  private usersOf(name: string): string[] {
    const ids = new Set<string>();
    for (const u of this.users()) {
      if (u.mountPoints.some((m) => m.type === "volume" && m.name === name)) ids.add(u.id);
    }
    for (const [id, names] of this.reserved) if (names.has(name)) ids.add(id);
    return [...ids];
  }

  private inUseNames(): Set<string> {
    const names = new Set<string>();
    for (const u of this.users()) {
      for (const m of u.mountPoints) if (m.type === "volume" && m.name) names.add(m.name);
    }
    for (const set of this.reserved.values()) for (const n of set) names.add(n);
    return names;
  }

  private publish(v: VolumeRecord, action: string): void {
    this.d.events.publish({
      Type: "volume",
      Action: action,
      Actor: { ID: v.name, Attributes: { driver: v.driver } },
    });
  }

  // ---- containers --------------------------------------------------------------------------

  /**
   * Resolves a new container's planned mounts: named volumes are created when missing,
   * anonymous ones get a generated name. The volumes stay reserved for `containerId` until
   * `release` (once its record is stored), so a concurrent volume rm cannot take them meanwhile.
   */
  async attach(containerId: string, planned: PlannedMount[]): Promise<MountPoint[]> {
    const claimed = new Set<string>();
    this.reserved.set(containerId, claimed);
    const created: string[] = [];
    try {
      const out: MountPoint[] = [];
      for (const p of planned) {
        const { create, ...mount } = p;
        if (mount.type !== "volume") {
          out.push(mount);
          continue;
        }
        let name = mount.name;
        const labels = { ...(create?.labels ?? {}) };
        if (!name) {
          name = generatedVolumeName();
          labels[ANONYMOUS_LABEL] = "";
        }
        const existed = this.d.repo.find(name) !== undefined;
        if (!existed) checkDriver(name, create?.driver);
        claimed.add(name);
        const record = await this.ensure(name, { options: create?.options ?? {}, labels });
        if (!existed) created.push(record.name);
        out.push({ ...mount, name: record.name, source: this.dataDir(record.name) });
      }
      return out;
    } catch (err) {
      this.reserved.delete(containerId);
      for (const name of created) {
        const v = this.d.repo.find(name);
        if (v && this.usersOf(name).length === 0) await this.destroy(v).catch(() => undefined);
      }
      throw err;
    }
  }

  /** The container's record now holds its mounts (or it was never created): drop the reservation. */
  release(containerId: string): void {
    this.reserved.delete(containerId);
  }

  /**
   * Before a container starts: mounts driver-option volumes, fills empty volumes from the image
   * (copy-up), creates missing host dirs of -v binds as Docker does, and returns the mounts for
   * the OCI spec.
   */
  async prepareStart(
    containerId: string,
    mountPoints: MountPoint[],
    rootfs: string,
    recursiveReadOnlyProblem: () => Promise<string | undefined> = async () => "rro is not supported",
  ): Promise<RuntimeMount[]> {
    const out: RuntimeMount[] = [];
    const mounted: MountPoint[] = [];
    for (const m of mountPoints) {
      let source = m.source;
      let propagation = m.propagation;
      if (m.type === "tmpfs") {
        out.push({
          destination: m.destination,
          type: "tmpfs",
          source: "tmpfs",
          options: [
            "noexec",
            "nosuid",
            "nodev",
            "rprivate",
            ...(m.rw ? [] : ["ro"]),
            ...(m.tmpfsOptions ?? []),
          ],
        });
        continue;
      }
      if (m.type === "bind") {
        if (!existsSync(m.source)) {
          if (!m.createSource)
            throw new InvalidParameterError(
              `invalid mount config for type "bind": bind source path does not exist: ${m.source}`,
            );
          // Docker's -v rule (and bind-create-mountpoint): a missing host path becomes a directory.
          await mkdir(m.source, { recursive: true, mode: 0o755 });
        }
        propagation = await checkBindPropagation(m.source, m.propagation, m.propagationDefaulted);
      } else {
        const v = this.d.repo.find(m.name ?? "");
        if (!v) throw new NotFoundError(`get ${m.name}: no such volume`);
        const dir = this.dataDir(v.name);
        if (needsMount(v.options) && !isMounted(dir)) await mountLocal(dir, v.options);
        // Only while no running container has the volume: none can then swap a directory for
        // a symlink under copy-up's feet and steer its writes out of the volume.
        if (m.copyData && !this.runningElsewhere(v.name, containerId))
          await copyUp(rootfs, m.destination, dir);
        if (m.subpath !== undefined) source = await resolveSubpath(dir, m.subpath);
        mounted.push(m);
      }
      const options = [m.nonRecursive ? "bind" : "rbind"];
      if (!m.rw) options.push(await readOnlyOption(m, recursiveReadOnlyProblem));
      options.push(propagation || "rprivate");
      out.push({ destination: m.destination, type: "bind", source, options });
    }
    for (const m of mounted) this.publishMount(containerId, m, "mount");
    return out;
  }

  /** Docker's volume mount/unmount events, one per volume a container starts or stops with. */
  private publishMount(containerId: string, m: MountPoint, action: "mount" | "unmount"): void {
    const attributes: Record<string, string> = { container: containerId, driver: "local" };
    if (action === "mount") {
      Object.assign(attributes, {
        destination: m.destination,
        propagation: m.propagation,
        "read/write": String(m.rw),
      });
    }
    this.d.events.publish({
      Type: "volume",
      Action: action,
      Actor: { ID: m.name ?? "", Attributes: attributes },
    });
  }

  private runningElsewhere(name: string, containerId: string): boolean {
    return this.users().some(
      (u) =>
        u.id !== containerId &&
        u.running &&
        u.mountPoints.some((p) => p.type === "volume" && p.name === name),
    );
  }

  /** After a container's run: unmounts driver-option volumes no running container needs now. */
  async afterStop(containerId: string, mountPoints: readonly MountPoint[]): Promise<void> {
    for (const m of mountPoints) {
      if (m.type !== "volume" || !m.name) continue;
      const v = this.d.repo.find(m.name);
      if (!v) continue;
      this.publishMount(containerId, m, "unmount");
      if (!needsMount(v.options)) continue;
      if (!this.runningElsewhere(v.name, containerId))
        await unmountLocal(this.dataDir(v.name)).catch((err: Error) =>
          log.warn("volume unmount failed", { name: v.name, err }),
        );
    }
  }

  /** rm -v / --rm: removes the container's anonymous volumes that nothing else uses. */
  async removeAnonymous(containerId: string, mountPoints: readonly MountPoint[]): Promise<void> {
    for (const m of mountPoints) {
      if (m.type !== "volume" || !m.anonymous || !m.name) continue;
      const v = this.d.repo.find(m.name);
      if (!v) continue;
      if (this.usersOf(m.name).some((id) => id !== containerId)) continue;
      await this.destroy(v).catch((err: Error) =>
        log.warn("anonymous volume remove failed", { name: v.name, err }),
      );
    }
  }
}

/**
 * "rro" (submounts read-only too) where it can be had, as Docker does for API 1.44+ clients;
 * "ro" for mounts that asked for the old top-only behaviour or where neither kernel nor runtime
 * can do it, unless the mount insists (bind-recursive=readonly).
 */
async function readOnlyOption(
  m: MountPoint,
  recursiveReadOnlyProblem: () => Promise<string | undefined>,
): Promise<string> {
  if (m.readOnlyNonRecursive) return "ro";
  const problem = await recursiveReadOnlyProblem();
  if (problem === undefined) return "rro";
  if (m.readOnlyForceRecursive) throw new EngineError(problem);
  return "ro";
}

/** Only the built-in `local` driver exists: any other name is a plugin that is not installed. */
export function checkDriver(volumeName: string, driver: string | undefined): void {
  if (!driver || driver === "local") return;
  throw new NotFoundError(
    `create ${volumeName}: error looking up volume plugin ${driver}: plugin "${driver}" not found`,
  );
}

/** A map as Go's encoding/json writes it (keys sorted), or null when empty. */
function sortedOrNull(map: Record<string, string>): Record<string, string> | null {
  const keys = Object.keys(map).sort();
  return keys.length > 0 ? Object.fromEntries(keys.map((k) => [k, map[k] as string])) : null;
}

function parseBoolFilter(key: string, value: string): boolean {
  const v = value.toLowerCase();
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw new FilterError(`invalid filter '${key}=${value}'`);
}

function matchLabelsAny(wanted: string[], labels: Record<string, string>): boolean {
  return wanted.some((w) => matchLabels([w], labels));
}

function safeRegExp(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch {
    throw new InvalidParameterError(`invalid filter 'name=${pattern}'`);
  }
}
