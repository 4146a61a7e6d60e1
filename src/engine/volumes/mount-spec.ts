// Turns a create request's Binds, Mounts, Tmpfs, VolumesFrom and image/Config Volumes into the
// container's mount points, with Docker's validation and messages (moby volume/mounts
// linux_parser.go and daemon/volumes.go registerMountPoints). Pure: the host is consulted only
// through `bindSourceExists`.
import path from "node:path/posix";
import type { HostConfig } from "../../wire/containers.ts";
import type { MountRequest } from "../../wire/volumes.ts";
import { InvalidParameterError, NotFoundError } from "../errors.ts";
import type { MountPoint } from "./mount-point.ts";
import { checkSubpath } from "./subpath.ts";

/** A mount point before its volume is resolved, plus what a missing named volume is created with. */
export interface PlannedMount extends MountPoint {
  create?: { options: Record<string, string>; labels: Record<string, string>; driver?: string };
}

export interface MountSpecInput {
  hostConfig: HostConfig;
  /** Config.Volumes after merging the image's VOLUMEs with the request's. */
  volumes: Record<string, unknown> | null | undefined;
  /** Mount points of a container named in VolumesFrom (throws 404 when there is none). */
  mountsOf(container: string): MountPoint[];
  bindSourceExists(hostPath: string): boolean;
  /** The data root: binds of it (or of a directory above it) default to rslave propagation. */
  daemonRoot?: string;
  /** The client speaks an API older than 1.44: its read-only binds stay top-only read-only. */
  readOnlyNonRecursiveDefault?: boolean;
}

const propagations = new Set(["private", "rprivate", "shared", "rshared", "slave", "rslave"]);
const consistencies = new Set(["consistent", "cached", "delegated", "default"]);

/** A destination problem, worded by the caller into Docker's -v or --mount message. */
class MountConfigError extends Error {}

function mountTypeError(type: string, detail: string): InvalidParameterError {
  return new InvalidParameterError(`invalid mount config for type "${type}": ${detail}`);
}

function cleanPath(p: string): string {
  return path.normalize(p).replace(/(.)\/$/, "$1");
}

/** Destination checks shared by every kind of mount. */
function checkDestination(dest: string): string {
  if (!dest.startsWith("/")) {
    throw new MountConfigError(`invalid mount path: '${dest}' mount path must be absolute`);
  }
  const clean = cleanPath(dest);
  if (clean === "/") throw new MountConfigError("invalid specification: destination can't be '/'");
  return clean;
}

interface ParsedMode {
  rw: boolean;
  propagation?: string;
  nocopy: boolean;
}

function parseMode(mode: string): ParsedMode {
  const out: ParsedMode = { rw: true, nocopy: false };
  let rwSeen = false;
  let labelSeen = false;
  for (const opt of mode.split(",")) {
    if (opt === "rw" || opt === "ro") {
      if (rwSeen) throw new InvalidParameterError(`invalid mode: ${mode}`);
      rwSeen = true;
      out.rw = opt === "rw";
    } else if (opt === "z" || opt === "Z") {
      if (labelSeen) throw new InvalidParameterError(`invalid mode: ${mode}`);
      labelSeen = true;
    } else if (propagations.has(opt)) {
      if (out.propagation) throw new InvalidParameterError(`invalid mode: ${mode}`);
      out.propagation = opt;
    } else if (opt === "nocopy") {
      if (out.nocopy) throw new InvalidParameterError(`invalid mode: ${mode}`);
      out.nocopy = true;
    } else if (!consistencies.has(opt)) {
      throw new InvalidParameterError(`invalid mode: ${mode}`);
    }
  }
  return out;
}

/** One `-v` / HostConfig.Binds entry: SRC:DST[:MODE]. */
export function parseBind(raw: string): PlannedMount {
  const invalid = (detail?: string) =>
    new InvalidParameterError(`invalid volume specification: '${raw}'${detail ? `: ${detail}` : ""}`);
  const parts = raw.split(":");
  if (raw === "" || parts.length > 3 || parts.some((p) => p === "")) throw invalid();
  if (parts.length === 1) return anonymousVolume(raw, "binds", (d) => invalid(d));
  if (parts.length === 2 && isMode(parts[1] as string)) throw invalid();
  const [source = "", target = "", modeText = ""] = parts;
  const mode = modeText ? parseMode(modeText) : { rw: true, nocopy: false };
  const type = source.startsWith("/") ? "bind" : "volume";
  let destination: string;
  try {
    destination = checkDestination(target);
  } catch (err) {
    throw invalid(`invalid mount config for type "${type}": ${(err as Error).message}`);
  }
  if (type === "bind") {
    if (mode.nocopy) throw new InvalidParameterError(`invalid mode: ${modeText}`);
    return {
      type,
      destination,
      source: cleanPath(source),
      rw: mode.rw,
      mode: modeText,
      propagation: mode.propagation ?? "rprivate",
      ...(mode.propagation ? {} : { propagationDefaulted: true }),
      anonymous: false,
      copyData: false,
      createSource: true,
      origin: "binds",
    };
  }
  return {
    type,
    destination,
    name: source,
    source: "",
    rw: mode.rw,
    mode: modeText || "z",
    propagation: "",
    anonymous: false,
    copyData: !mode.nocopy,
    origin: "binds",
    create: { options: {}, labels: {} },
  };
}

function isMode(text: string): boolean {
  try {
    parseMode(text);
    return true;
  } catch {
    return false;
  }
}

function anonymousVolume(
  dest: string,
  origin: PlannedMount["origin"],
  invalid: (detail: string) => Error,
): PlannedMount {
  let destination: string;
  try {
    destination = checkDestination(dest);
  } catch (err) {
    throw invalid(`invalid mount config for type "volume": ${(err as Error).message}`);
  }
  return {
    type: "volume",
    destination,
    source: "",
    rw: true,
    // Only Binds/Mounts entries go through Docker's setBindModeIfNull; image volumes stay "".
    mode: origin === "image" ? "" : "z",
    propagation: "",
    anonymous: true,
    copyData: true,
    origin,
    create: { options: {}, labels: {} },
  };
}

/** One HostConfig.Mounts entry (--mount). */
export function parseMountRequest(m: MountRequest, bindSourceExists: (p: string) => boolean): PlannedMount {
  const type = m.Type ?? "";
  const fail = (detail: string) => mountTypeError(type, detail);
  if (!["bind", "volume", "tmpfs"].includes(type)) {
    throw new InvalidParameterError(`invalid mount config for type "${type}": mount type unknown`);
  }
  if (!m.Target) throw fail("field Target must not be empty");
  let destination: string;
  try {
    destination = checkDestination(m.Target);
  } catch (err) {
    throw fail((err as Error).message);
  }
  const rw = m.ReadOnly !== true;
  if (type === "bind") {
    if (m.VolumeOptions) throw fail("field VolumeOptions must not be specified");
    if (m.TmpfsOptions) throw fail("field TmpfsOptions must not be specified");
    if (!m.Source) throw fail("field Source must not be empty");
    if (!m.Source.startsWith("/"))
      throw fail(`invalid mount path: '${m.Source}' mount path must be absolute`);
    const propagation = m.BindOptions?.Propagation || "rprivate";
    if (!propagations.has(propagation)) throw fail(`invalid propagation mode: ${propagation}`);
    const readOnlyNonRecursive = m.BindOptions?.ReadOnlyNonRecursive === true;
    const readOnlyForceRecursive = m.BindOptions?.ReadOnlyForceRecursive === true;
    // moby's setupMounts checks, made when the container is created rather than at start.
    if (rw && readOnlyNonRecursive)
      throw new InvalidParameterError(
        "mount options conflict: !ReadOnly && BindOptions.ReadOnlyNonRecursive",
      );
    if (rw && readOnlyForceRecursive)
      throw new InvalidParameterError(
        "mount options conflict: !ReadOnly && BindOptions.ReadOnlyForceRecursive",
      );
    if (readOnlyNonRecursive && readOnlyForceRecursive)
      throw new InvalidParameterError(
        "mount options conflict: ReadOnlyNonRecursive && ReadOnlyForceRecursive",
      );
    const source = cleanPath(m.Source);
    if (!m.BindOptions?.CreateMountpoint && !bindSourceExists(source)) {
      throw fail(`bind source path does not exist: ${source}`);
    }
    return {
      type,
      destination,
      source,
      rw,
      mode: "",
      propagation,
      ...(m.BindOptions?.Propagation ? {} : { propagationDefaulted: true }),
      anonymous: false,
      copyData: false,
      nonRecursive: m.BindOptions?.NonRecursive === true,
      ...(readOnlyNonRecursive ? { readOnlyNonRecursive } : {}),
      ...(readOnlyForceRecursive ? { readOnlyForceRecursive } : {}),
      createSource: m.BindOptions?.CreateMountpoint === true,
      origin: "mounts",
    };
  }
  if (type === "tmpfs") {
    if (m.Source) throw fail("field Source must not be specified");
    if (m.BindOptions) throw fail("field BindOptions must not be specified");
    if (m.VolumeOptions) throw fail("field VolumeOptions must not be specified");
    const options: string[] = [];
    const size = m.TmpfsOptions?.SizeBytes;
    if (size !== undefined && size !== 0) {
      if (!Number.isInteger(size) || size < 0) throw fail(`invalid tmpfs size: ${size}`);
      options.push(`size=${size}`);
    }
    const mode = m.TmpfsOptions?.Mode;
    if (mode !== undefined && mode !== 0) {
      if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw fail(`invalid tmpfs mode: ${mode}`);
      options.push(`mode=${mode.toString(8)}`);
    }
    return {
      type,
      destination,
      source: "",
      rw,
      mode: "",
      propagation: "",
      anonymous: false,
      copyData: false,
      tmpfsOptions: options,
      origin: "mounts",
    };
  }
  if (m.BindOptions) throw fail("field BindOptions must not be specified");
  if (m.TmpfsOptions) throw fail("field TmpfsOptions must not be specified");
  const driver = m.VolumeOptions?.DriverConfig?.Name;
  const anonymous = !m.Source;
  const subpath = m.VolumeOptions?.Subpath ? checkSubpath(m.VolumeOptions.Subpath, anonymous) : undefined;
  // A new, empty volume no one else can write to would be of no use.
  if (anonymous && !rw) throw fail("must not set ReadOnly mode when using anonymous volumes");
  return {
    type: "volume",
    destination,
    name: m.Source || undefined,
    source: "",
    rw,
    // Docker's setBindModeIfNull: every local volume from Binds or Mounts shows "z".
    mode: "z",
    propagation: "",
    anonymous,
    // The image's content is copied into a volume's root, never into a part of it.
    copyData: m.VolumeOptions?.NoCopy !== true && subpath === undefined,
    ...(subpath !== undefined ? { subpath } : {}),
    origin: "mounts",
    create: {
      options: { ...(m.VolumeOptions?.DriverConfig?.Options ?? {}) },
      labels: { ...(m.VolumeOptions?.Labels ?? {}) },
      ...(driver ? { driver } : {}),
    },
  };
}

/**
 * moby's validateBindDaemonRoot: a bind of the data root (or of a directory holding it) sees the
 * overlay mounts of other containers; rprivate would pin them in this container's namespace
 * after they are unmounted, so such a bind defaults to rslave, and only rslave or rshared may
 * be asked for.
 */
function useSlaveInDaemonRoot(m: PlannedMount, daemonRoot: string): void {
  if (m.type !== "bind") return;
  if (!m.source.startsWith(daemonRoot) && !daemonRoot.startsWith(m.source)) return;
  if (m.propagationDefaulted) {
    m.propagation = "rslave";
    return;
  }
  if (m.propagation === "rslave" || m.propagation === "rshared") return;
  throw new InvalidParameterError(
    `invalid mount config: must use either propagation mode "rslave" or "rshared" when mount source is within the daemon root, daemon root: "${daemonRoot}", bind mount source: "${m.source}", propagation: "${m.propagation}"`,
  );
}

/**
 * `container[:mode]`, as moby's ParseVolumesFrom: any valid mount mode ("ro", "rw", "ro,z", …)
 * except propagation and copy modes, which the copied mounts keep from their container.
 */
export function parseVolumesFrom(spec: string): { container: string; rw: boolean } {
  if (spec === "") throw new InvalidParameterError("volumes-from specification cannot be an empty string");
  const i = spec.indexOf(":");
  if (i < 0) return { container: spec, rw: true };
  const mode = spec.slice(i + 1);
  const container = spec.slice(0, i);
  if (mode === "") return { container, rw: true };
  const parsed = parseMode(mode);
  if (parsed.propagation || parsed.nocopy) throw new InvalidParameterError(`invalid mode: ${mode}`);
  return { container, rw: parsed.rw };
}

/** Wrong JSON types in the mount fields are a 400 naming the field, never a crash. */
function checkShapes(hc: HostConfig): void {
  const bad = (field: string, want: string) =>
    new InvalidParameterError(`invalid JSON: field "HostConfig.${field}" must be ${want}`);
  const strings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === "string");
  if (hc.VolumesFrom != null && !strings(hc.VolumesFrom)) throw bad("VolumesFrom", "an array of strings");
  if (hc.Binds != null && !strings(hc.Binds)) throw bad("Binds", "an array of strings");
  if (hc.Mounts != null) {
    if (
      !Array.isArray(hc.Mounts) ||
      !hc.Mounts.every((m) => m !== null && typeof m === "object" && !Array.isArray(m))
    ) {
      throw bad("Mounts", "an array of objects");
    }
  }
  if (hc.Tmpfs != null && !Object.values(hc.Tmpfs).every((v) => typeof v === "string")) {
    throw bad("Tmpfs", "a map of strings");
  }
}

/**
 * All mount points of a new container, in Docker's order of precedence: volumes-from first,
 * then Binds (which replace volumes-from at the same place), Mounts, and image/Config volumes
 * only where nothing else is mounted. Tmpfs destinations take part in the duplicate check.
 */
export function planMounts(input: MountSpecInput): PlannedMount[] {
  const hc = input.hostConfig;
  checkShapes(hc);
  const byDest = new Map<string, PlannedMount>();
  for (const spec of (hc.VolumesFrom ?? []) as string[]) {
    const { container, rw } = parseVolumesFrom(String(spec));
    let mounts: MountPoint[];
    try {
      mounts = input.mountsOf(container);
    } catch (err) {
      // A bad reference in the request, not a missing resource: Docker answers 400 (a 404 here
      // would make the docker CLI take it for a missing image and try to pull it).
      if (err instanceof NotFoundError) throw new InvalidParameterError(err.message);
      throw err;
    }
    for (const m of mounts) {
      byDest.set(m.destination, {
        ...m,
        // A mode can only take writes away: ":rw" never opens a read-only mount.
        rw: m.rw && rw,
        mode: "",
        copyData: false,
        origin: "volumes-from",
      });
    }
  }
  const explicit = new Set<string>();
  const claim = (m: PlannedMount) => {
    if (explicit.has(m.destination)) {
      throw new InvalidParameterError(`Duplicate mount point: ${m.destination}`);
    }
    explicit.add(m.destination);
    byDest.set(m.destination, m);
  };
  // --volume-driver applies to the volumes Binds and image VOLUMEs create (Mounts name their own).
  const withDriver = (m: PlannedMount): PlannedMount =>
    m.type === "volume" && hc.VolumeDriver && m.create
      ? { ...m, create: { ...m.create, driver: hc.VolumeDriver } }
      : m;
  for (const raw of hc.Binds ?? []) claim(withDriver(parseBind(String(raw))));
  const mounts = (Array.isArray(hc.Mounts) ? hc.Mounts : []) as MountRequest[];
  for (const m of mounts) {
    if (input.readOnlyNonRecursiveDefault && m.BindOptions?.ReadOnlyForceRecursive) {
      // Refused rather than ignored: the client counts on it being enforced (as moby).
      throw new InvalidParameterError("BindOptions.ReadOnlyForceRecursive needs API v1.44 or newer");
    }
    claim(parseMountRequest(m, input.bindSourceExists));
  }
  if (input.daemonRoot) {
    for (const m of byDest.values())
      if (m.origin !== "volumes-from") useSlaveInDaemonRoot(m, input.daemonRoot);
  }
  if (input.readOnlyNonRecursiveDefault) {
    for (const m of byDest.values()) {
      if (m.type === "bind" && !m.rw && m.origin !== "volumes-from") m.readOnlyNonRecursive = true;
    }
  }
  for (const dest of Object.keys(hc.Tmpfs ?? {})) {
    let clean: string;
    try {
      clean = checkDestination(dest);
    } catch (err) {
      // Docker words HostConfig.Tmpfs destination errors without a mount-config prefix.
      throw new InvalidParameterError((err as Error).message);
    }
    if (byDest.has(clean) && explicit.has(clean))
      throw new InvalidParameterError(`Duplicate mount point: ${clean}`);
    // A --tmpfs replaces what volumes-from or the image would put there.
    byDest.delete(clean);
    explicit.add(clean);
  }
  for (const dest of Object.keys(input.volumes ?? {})) {
    const m = anonymousVolume(
      dest,
      "image",
      (d) => new InvalidParameterError(`invalid volume specification: '${dest}': ${d}`),
    );
    if (byDest.has(m.destination) || explicit.has(m.destination)) continue;
    byDest.set(m.destination, withDriver(m));
  }
  return [...byDest.values()];
}
