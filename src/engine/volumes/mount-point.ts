// A container's mount points as stored in its record, and their Docker-shaped views.
import type { MountPointView } from "../../wire/volumes.ts";

export interface MountPoint {
  type: "volume" | "bind" | "tmpfs";
  /** Absolute, normalised path inside the container. */
  destination: string;
  /** type volume: the volume's name. */
  name?: string;
  /** type bind: the host path; type volume: the volume's _data dir (filled in at create). */
  source: string;
  rw: boolean;
  /** What inspect shows as Mode ("z" for named volumes, "ro" for a ":ro" bind, …). */
  mode: string;
  /** Bind propagation (binds default to rprivate; "" for volumes and tmpfs). */
  propagation: string;
  /** A volume that came from a spec without a source: rm -v and --rm remove it. */
  anonymous: boolean;
  /** Fill an empty volume with the image's content at the destination on start. */
  copyData: boolean;
  /** type bind: create a missing source dir at start (-v binds, and --mount bind-create-mountpoint). */
  createSource?: boolean;
  /**
   * type bind: the propagation was not asked for. A default rslave (binds of the data root) then
   * falls back to rprivate where the source's mount cannot be a slave, as moby does.
   */
  propagationDefaulted?: boolean;
  /** --mount bind-nonrecursive: "bind" instead of "rbind". */
  nonRecursive?: boolean;
  /**
   * A read-only mount is recursively read-only (submounts too) where the kernel and runtime can
   * do it, unless this is set: --mount bind-recursive=writable, or any read-only bind of a
   * client older than API 1.44 (Docker keeps their old, top-only behaviour).
   */
  readOnlyNonRecursive?: boolean;
  /** --mount bind-recursive=readonly: recursively read-only or refuse to start. */
  readOnlyForceRecursive?: boolean;
  /** type volume: only this relative path of the volume is mounted (VolumeOptions.Subpath). */
  subpath?: string;
  /** type tmpfs: mount data options (size=…, mode=…). */
  tmpfsOptions?: string[];
  /** Where the mount came from (volumes-from keeps it for the mounts it copies). */
  origin: "binds" | "mounts" | "image" | "volumes-from";
}

export function mountPointView(m: MountPoint, driver = "local"): MountPointView {
  if (m.type === "volume") {
    return {
      Type: "volume",
      Name: m.name,
      Source: m.source,
      Destination: m.destination,
      Driver: driver,
      Mode: m.mode,
      RW: m.rw,
      Propagation: m.propagation,
    };
  }
  return {
    Type: m.type,
    Source: m.type === "tmpfs" ? "" : m.source,
    Destination: m.destination,
    Mode: m.mode,
    RW: m.rw,
    Propagation: m.propagation,
  };
}
