// HostConfig's devices (--device, --device-cgroup-rule) and per-device block I/O settings
// (--blkio-weight-device, --device-read-bps …) turned into the OCI spec's device nodes, device
// cgroup rules and blockIO entries. The shapes are checked at create; host paths are looked up
// at each start, as Docker does, since devices come and go.
import { devicesAt, type HostDevice } from "../../platform/host-devices.ts";
import type { HostConfig, ThrottleDevice } from "../../wire/containers.ts";
import { InvalidParameterError } from "../errors.ts";
import type { OciBlockIo, OciDevice, OciDeviceCgroupRule, OciThrottleDevice } from "../runtime/oci-spec.ts";

export interface ContainerDevices {
  /** Nodes the runtime creates in the container. */
  nodes: OciDevice[];
  /** Device cgroup rules added to Docker's defaults. */
  rules: OciDeviceCgroupRule[];
  /** Per-device weights and throttles. */
  blockIO: OciBlockIo;
}

/** "c 10:229 rwm", "a *:* rwm", "b 8:* r": Docker's --device-cgroup-rule syntax. */
export function parseDeviceCgroupRule(rule: string): OciDeviceCgroupRule {
  const m = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/.exec(rule);
  if (!m) throw new InvalidParameterError(`invalid device cgroup format '${rule}'`);
  const [, type, major, minor, access] = m as unknown as [string, "a" | "c" | "b", string, string, string];
  const out: OciDeviceCgroupRule = { allow: true, type, access };
  if (major !== "*") out.major = Number(major);
  if (minor !== "*") out.minor = Number(minor);
  return out;
}

const throttleFields = [
  ["BlkioDeviceReadBps", "throttleReadBpsDevice"],
  ["BlkioDeviceWriteBps", "throttleWriteBpsDevice"],
  ["BlkioDeviceReadIOps", "throttleReadIOPSDevice"],
  ["BlkioDeviceWriteIOps", "throttleWriteIOPSDevice"],
] as const;

/** The checks that need no host lookup, for create: what Docker refuses before anything exists. */
export function checkDeviceSettings(hc: HostConfig): void {
  for (const rule of hc.DeviceCgroupRules ?? []) parseDeviceCgroupRule(rule);
  for (const d of hc.Devices ?? []) {
    if (!d.PathOnHost) throw new InvalidParameterError("device: PathOnHost is required");
    const mode = d.CgroupPermissions ?? "rwm";
    if (!/^[rwm]{1,3}$/.test(mode)) throw new InvalidParameterError(`invalid device mode: ${mode}`);
    if (d.PathInContainer && !d.PathInContainer.startsWith("/")) {
      throw new InvalidParameterError(`${d.PathInContainer} is not an absolute path`);
    }
  }
  for (const [field] of throttleFields) {
    for (const t of (hc[field] as ThrottleDevice[] | null | undefined) ?? []) {
      if (!t.Path || (t.Rate ?? 0) < 0)
        throw new InvalidParameterError(`invalid ${field} entry: ${JSON.stringify(t)}`);
    }
  }
  for (const w of hc.BlkioWeightDevice ?? []) {
    const weight = w.Weight ?? 0;
    if (!w.Path || (weight !== 0 && (weight < 10 || weight > 1000))) {
      throw new InvalidParameterError(`invalid BlkioWeightDevice entry: ${JSON.stringify(w)}`);
    }
  }
}

/** A block device's numbers, for the blkio settings that name it by path. */
async function blockDevice(path: string): Promise<{ major: number; minor: number }> {
  const [device] = await devicesAt(path).catch((err: Error) => {
    throw new InvalidParameterError(`error getting device information for ${path}: ${err.message}`);
  });
  if (device?.type !== "b" || device.path !== path) {
    throw new InvalidParameterError(`${path} is not a block device`);
  }
  return { major: device.major, minor: device.minor };
}

/** Looks the host paths up: a missing device fails the start with Docker's message. */
export async function resolveDevices(hc: HostConfig): Promise<ContainerDevices> {
  const out: ContainerDevices = { nodes: [], rules: [], blockIO: {} };
  for (const d of hc.Devices ?? []) {
    const hostPath = d.PathOnHost as string;
    const access = d.CgroupPermissions || "rwm";
    let found: HostDevice[];
    try {
      found = await devicesAt(hostPath);
      if (found.length === 0) throw new Error("not a device node"); // a directory without any
    } catch (err) {
      const reason =
        (err as NodeJS.ErrnoException).code === "ENOENT"
          ? "no such file or directory"
          : (err as Error).message;
      throw new InvalidParameterError(
        `error gathering device information while adding custom device "${hostPath}": ${reason}`,
      );
    }
    const inContainer = d.PathInContainer || hostPath;
    for (const dev of found) {
      const path = dev.path === hostPath ? inContainer : `${inContainer}${dev.path.slice(hostPath.length)}`;
      out.nodes.push({ ...dev, path });
      out.rules.push({ allow: true, type: dev.type, major: dev.major, minor: dev.minor, access });
    }
  }
  for (const rule of hc.DeviceCgroupRules ?? []) out.rules.push(parseDeviceCgroupRule(rule));
  for (const [field, key] of throttleFields) {
    const list: OciThrottleDevice[] = [];
    for (const t of (hc[field] as ThrottleDevice[] | null | undefined) ?? []) {
      list.push({ ...(await blockDevice(t.Path as string)), rate: t.Rate ?? 0 });
    }
    if (list.length > 0) out.blockIO[key] = list;
  }
  const weights = [];
  for (const w of hc.BlkioWeightDevice ?? [])
    weights.push({ ...(await blockDevice(w.Path as string)), weight: w.Weight ?? 0 });
  if (weights.length > 0) out.blockIO.weightDevice = weights;
  return out;
}
