// Writes a container's OCI bundle before each start: /etc/hostname, /etc/hosts,
// /etc/resolv.conf and config.json (generated from the record and the image's rootfs).
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import type { CgroupLayout } from "../../platform/host.ts";
import { hostDevices } from "../../platform/host-devices.ts";
import { InvalidParameterError } from "../errors.ts";
import { buildHostnameFile } from "../runtime/etc-files.ts";
import { ociSpecToJson } from "../runtime/oci-spec.ts";
import { buildRuntimeSpec, type NetworkNamespaceMode, type RuntimeMount } from "../runtime/spec.ts";
import { readUserFiles, resolveUser } from "../runtime/user.ts";
import { resolveDevices } from "./devices.ts";
import { type ContainerRecord, cgroupPathOf } from "./record.ts";

export interface BundleInput {
  record: ContainerRecord;
  rootfs: string;
  bundle: string;
  initPath: string;
  shmSize: number;
  cgroup: CgroupLayout;
  hardLimits: Record<string, number>;
  /** The host's capability bounding set (CAP_ names). */
  capabilities: readonly string[];
  /** Volumes and binds, resolved by the volume service. */
  mounts: RuntimeMount[];
  /** The network namespace to join (prepared by the network service, which also writes hosts and resolv.conf). */
  network: NetworkNamespaceMode;
  /** For PidMode / IpcMode "container:<id>": the pid of that container's init. */
  joinPid?: { pid?: number; ipc?: number };
  /** The host tmpfs bound at /dev/shm (IpcMode shareable, or the joined container's). */
  sharedShm?: string;
}

export async function prepareBundle(input: BundleInput): Promise<void> {
  const c = input.record;
  const hc = c.hostConfig;
  const hostname = c.config.Hostname || c.id.slice(0, 12);
  const network = input.network;

  await writeFile(c.hostnamePath, buildHostnameFile(hostname));

  const files = await readUserFiles(input.rootfs);
  let user: ReturnType<typeof resolveUser>;
  try {
    user = resolveUser(c.config.User ?? "", files.passwd, files.group, hc.GroupAdd ?? []);
  } catch (err) {
    throw new InvalidParameterError((err as Error).message);
  }
  const devices = await resolveDevices(hc);
  const spec = buildRuntimeSpec({
    id: c.id,
    rootfs: input.rootfs,
    readonlyRootfs: hc.ReadonlyRootfs === true,
    args: [c.path, ...c.args],
    env: c.config.Env ?? [],
    cwd: c.config.WorkingDir || "/",
    user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
    terminal: c.config.Tty === true,
    hostname,
    domainname: c.config.Domainname || undefined,
    privileged: hc.Privileged === true,
    // Docker gives a privileged container every device of the host (only those pay the walk).
    hostDevices: hc.Privileged === true ? await hostDevices() : undefined,
    devices: devices.nodes,
    deviceRules: devices.rules,
    blockIO: devices.blockIO,
    capAdd: hc.CapAdd ?? [],
    capDrop: hc.CapDrop ?? [],
    init: hc.Init ? { hostPath: input.initPath } : undefined,
    network,
    pidMode: input.joinPid?.pid ? { joinPid: input.joinPid.pid } : hc.PidMode === "host" ? "host" : "private",
    ipcMode: input.joinPid?.ipc
      ? { joinPid: input.joinPid.ipc }
      : hc.IpcMode === "host" || hc.IpcMode === "none"
        ? hc.IpcMode
        : "private",
    utsMode: hc.UTSMode === "host" ? "host" : "private",
    etcFiles: { hostname: c.hostnamePath, hosts: c.hostsPath, resolvConf: c.resolvConfPath },
    mounts: input.mounts,
    tmpfs: hc.Tmpfs ?? {},
    sharedShm: input.sharedShm,
    shmSize: hc.ShmSize || input.shmSize,
    resources: {
      memory: hc.Memory,
      memorySwap: hc.MemorySwap,
      memoryReservation: hc.MemoryReservation,
      nanoCpus: hc.NanoCpus,
      cpuShares: hc.CpuShares,
      cpuQuota: hc.CpuQuota,
      cpuPeriod: hc.CpuPeriod,
      cpusetCpus: hc.CpusetCpus,
      cpusetMems: hc.CpusetMems,
      pidsLimit: hc.PidsLimit ?? undefined,
      blkioWeight: hc.BlkioWeight,
      cpuRealtimePeriod: hc.CpuRealtimePeriod,
      cpuRealtimeRuntime: hc.CpuRealtimeRuntime,
      // Docker drops these on cgroup v2, whose memory controller has neither.
      oomKillDisable: input.cgroup.version === 1 ? hc.OomKillDisable === true : undefined,
      swappiness: input.cgroup.version === 1 ? (hc.MemorySwappiness ?? undefined) : undefined,
    },
    ulimits: hc.Ulimits ?? [],
    hostHardLimits: input.hardLimits,
    availableCapabilities: input.capabilities,
    cgroupsPath: cgroupPathOf(c),
    sysctls: hc.Sysctls ?? {},
    oomScoreAdj: hc.OomScoreAdj || undefined,
    securityOpt: hc.SecurityOpt ?? [],
    // Docker's default: a cgroup namespace of its own on cgroup v2 hosts only.
    cgroupNamespace: hc.CgroupnsMode ? hc.CgroupnsMode === "private" : input.cgroup.version === 2,
    swapLimitSupported: input.cgroup.version === 2 || swapAccounting(),
    consoleSize: Array.isArray(hc.ConsoleSize)
      ? { height: Number(hc.ConsoleSize[0]) || 24, width: Number(hc.ConsoleSize[1]) || 80 }
      : undefined,
  });
  // Written afresh before every start and read only by `<runtime> create`, so no fsync.
  await writeFile(`${input.bundle}/config.json`, ociSpecToJson(spec));
}

let swapAccountingCache: boolean | undefined;
function swapAccounting(): boolean {
  if (swapAccountingCache === undefined) {
    swapAccountingCache = existsSync("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes");
  }
  return swapAccountingCache;
}
