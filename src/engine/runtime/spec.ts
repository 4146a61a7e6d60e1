// Builds a container's OCI runtime config (config.json) from already-resolved container
// settings, matching what Docker's daemon generates (moby oci/defaults.go and
// daemon/oci_linux.go): same namespaces, capabilities, mounts, masked paths, device rules
// and resource mapping. Pure: everything host-specific comes in through the input.

import path from "node:path/posix";
import type {
  OciBlockIo,
  OciCapabilities,
  OciCpu,
  OciDevice,
  OciDeviceCgroupRule,
  OciLinux,
  OciMemory,
  OciMount,
  OciNamespace,
  OciProcess,
  OciResources,
  OciRlimit,
  OciSpec,
} from "./oci-spec.ts";
import { OCI_VERSION } from "./oci-spec.ts";
import { seccompFor } from "./seccomp.ts";

export interface RuntimeMount {
  destination: string;
  source: string;
  type: string;
  options: string[];
}

export interface RuntimeResources {
  memory?: number;
  memorySwap?: number;
  memoryReservation?: number;
  nanoCpus?: number;
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  pidsLimit?: number;
  blkioWeight?: number;
  /** µs; the kernel refuses them without real-time group scheduling, as it does Docker's. */
  cpuRealtimePeriod?: number;
  cpuRealtimeRuntime?: number;
  /** cgroup v1 only (the caller leaves them out on v2, as Docker drops them there). */
  oomKillDisable?: boolean;
  swappiness?: number;
}

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

export type NetworkNamespaceMode = { mode: "host" } | { mode: "none" } | { mode: "netns"; path: string };

export interface RuntimeSpecInput {
  id: string;
  /** Absolute path of the mounted overlay (merged dir). */
  rootfs: string;
  readonlyRootfs: boolean;
  /** Entrypoint + cmd, already resolved. */
  args: string[];
  /** KEY=VALUE, image env merged with user env; PATH and HOSTNAME are added if missing. */
  env: string[];
  /** Defaults to "/". */
  cwd: string;
  /** additionalGids are the supplementary groups; the primary gid is added in front. */
  user: { uid: number; gid: number; additionalGids: number[] };
  terminal: boolean;
  hostname: string;
  domainname?: string;
  privileged: boolean;
  /** Docker forms: "NET_ADMIN", "CAP_NET_ADMIN", "ALL". */
  capAdd: string[];
  capDrop: string[];
  /** --init: bind hostPath read-only at /sbin/docker-init and run the command under it. */
  init?: { hostPath: string };
  /** none = a new, empty netns; host = no network namespace; netns = join `path`. */
  network: NetworkNamespaceMode;
  /** Own namespace, the host's, or another container's (its init's pid). */
  pidMode?: "host" | "private" | { joinPid: number };
  /** As pidMode; "none" is a namespace of its own without /dev/shm (Docker's IpcMode none). */
  ipcMode?: "host" | "private" | "none" | { joinPid: number };
  /** A host tmpfs bound at /dev/shm instead of a private one (IpcMode shareable or joined). */
  sharedShm?: string;
  utsMode?: "host" | "private";
  /** Host paths bind-mounted at /etc/hostname, /etc/hosts, /etc/resolv.conf. */
  etcFiles: { hostname: string; hosts: string; resolvConf: string };
  /** Extra mounts already resolved (binds, volumes). */
  mounts: RuntimeMount[];
  /** HostConfig.Tmpfs: {"/run": "size=1m,noexec"}. */
  tmpfs: Record<string, string>;
  /** Bytes; 0 means Docker's default of 64 MiB. */
  shmSize: number;
  resources: RuntimeResources;
  /** Docker names: nofile, nproc, core, …; -1 means unlimited. */
  ulimits: Ulimit[];
  /** Host hard limits by Docker name (from /proc/self/limits); every rlimit is clamped to these. */
  hostHardLimits: Record<string, number>;
  /** e.g. "/wharf/<id>" (cgroupfs driver). */
  cgroupsPath: string;
  sysctls: Record<string, string>;
  oomScoreAdj?: number;
  /** "no-new-privileges[:=]bool", "seccomp=unconfined|builtin|<profile JSON>"; others ignored. */
  securityOpt: string[];
  /** Daemon default for no-new-privileges; securityOpt overrides it. */
  noNewPrivileges?: boolean;
  /** Give the container its own cgroup namespace (Docker does on cgroup v2 hosts only). */
  cgroupNamespace?: boolean;
  /** Capabilities in the host's bounding set (CAP_ names); defaults to every known one. */
  availableCapabilities?: readonly string[];
  /** Privileged containers get these device nodes (the host's /dev). */
  hostDevices?: OciDevice[];
  /** --device nodes and --device-cgroup-rule rules (not privileged: those get everything). */
  devices?: OciDevice[];
  deviceRules?: OciDeviceCgroupRule[];
  /** Per-device block I/O weights and throttles. */
  blockIO?: OciBlockIo;
  /** HostConfig.MaskedPaths / ReadonlyPaths overrides (ignored when privileged). */
  maskedPaths?: string[];
  readonlyPaths?: string[];
  consoleSize?: { height: number; width: number };
  /** false when the host has no swap accounting: the swap limit is then left out, as Docker does. */
  swapLimitSupported?: boolean;
  /** Docker's sysctls for private networks (unprivileged ping and low ports); default true. */
  defaultNetworkSysctls?: boolean;
  annotations?: Record<string, string>;
}

/** Capabilities Docker grants by default, in Docker's order. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

/** Every capability Linux defines, indexed by its number (capability.h). */
export const ALL_CAPABILITIES: readonly string[] = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
  "CAP_PERFMON",
  "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
];

export const DEFAULT_MASKED_PATHS: readonly string[] = [
  "/proc/asound",
  "/proc/acpi",
  "/proc/interrupts",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/devices/virtual/powercap",
];

export const DEFAULT_READONLY_PATHS: readonly string[] = [
  "/proc/bus",
  "/proc/fs",
  "/proc/irq",
  "/proc/sys",
  "/proc/sysrq-trigger",
];

export const DEFAULT_PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;
/** Docker's containers inherit nofile 1048576 from dockerd's unit (LimitNOFILE=infinity). */
export const DEFAULT_NOFILE = 1048576;
export const INIT_PATH_IN_CONTAINER = "/sbin/docker-init";
/** cpu.cfs_period_us Docker uses for --cpus. */
const NANO_CPU_PERIOD = 100000;

const RLIMIT_NAMES: Record<string, string> = {
  as: "RLIMIT_AS",
  core: "RLIMIT_CORE",
  cpu: "RLIMIT_CPU",
  data: "RLIMIT_DATA",
  fsize: "RLIMIT_FSIZE",
  locks: "RLIMIT_LOCKS",
  memlock: "RLIMIT_MEMLOCK",
  msgqueue: "RLIMIT_MSGQUEUE",
  nice: "RLIMIT_NICE",
  nofile: "RLIMIT_NOFILE",
  nproc: "RLIMIT_NPROC",
  rss: "RLIMIT_RSS",
  rtprio: "RLIMIT_RTPRIO",
  rttime: "RLIMIT_RTTIME",
  sigpending: "RLIMIT_SIGPENDING",
  stack: "RLIMIT_STACK",
};

/**
 * Docker's default device cgroup: deny everything, allow the standard nodes. It spells out
 * what runc/crun would otherwise append implicitly (mknod, full, ptmx, pts), so the result
 * does not depend on the runtime. Order matters on cgroup v1 (see the last rules).
 */
const DEFAULT_DEVICE_RULES: readonly OciDeviceCgroupRule[] = [
  { allow: false, access: "rwm" },
  { allow: true, type: "c", major: 1, minor: 3, access: "rwm" }, // null
  { allow: true, type: "c", major: 1, minor: 5, access: "rwm" }, // zero
  { allow: true, type: "c", major: 1, minor: 7, access: "rwm" }, // full
  { allow: true, type: "c", major: 1, minor: 8, access: "rwm" }, // random
  { allow: true, type: "c", major: 1, minor: 9, access: "rwm" }, // urandom
  { allow: true, type: "c", major: 5, minor: 0, access: "rwm" }, // tty
  { allow: true, type: "c", major: 5, minor: 1, access: "rwm" }, // console
  { allow: true, type: "c", major: 5, minor: 2, access: "rwm" }, // ptmx
  { allow: true, type: "c", major: 136, access: "rwm" }, // pts/*
  { allow: false, type: "c", major: 10, minor: 229, access: "rwm" }, // fuse
  // mknod of any node (opening it stays denied). Last: cgroup v1 cannot deny one device
  // after a wildcard allow, which is also why runc appends these after the spec's rules.
  { allow: true, type: "c", access: "m" },
  { allow: true, type: "b", access: "m" },
];

/** Docker-shaped error for bad user input (maps to HTTP 400 upstream). */
export class InvalidSpecInputError extends Error {
  override name = "InvalidSpecInputError";
}

export function buildRuntimeSpec(input: RuntimeSpecInput): OciSpec {
  const pidPrivate = input.pidMode === undefined || input.pidMode === "private";
  // A namespace and /dev/shm of its own ("none": the namespace only).
  const ipcPrivate = (input.ipcMode === undefined || input.ipcMode === "private") && !input.sharedShm;
  const utsPrivate = input.utsMode !== "host";
  const netPrivate = input.network.mode !== "host";

  const linux: OciLinux = {
    namespaces: buildNamespaces(input),
    devices: input.privileged ? [...(input.hostDevices ?? [])] : [...(input.devices ?? [])],
    cgroupsPath: input.cgroupsPath,
    resources: buildResources(input.resources, {
      privileged: input.privileged,
      swapLimitSupported: input.swapLimitSupported ?? true,
    }),
  };
  const resources = linux.resources as OciResources;
  if (!input.privileged && input.deviceRules?.length) resources.devices?.push(...input.deviceRules);
  if (input.blockIO && Object.keys(input.blockIO).length > 0) {
    resources.blockIO = { ...resources.blockIO, ...input.blockIO };
  }
  const sysctl = buildSysctls(input, netPrivate, utsPrivate);
  if (Object.keys(sysctl).length > 0) linux.sysctl = sysctl;
  if (!input.privileged) {
    linux.maskedPaths = [...(input.maskedPaths ?? DEFAULT_MASKED_PATHS)];
    linux.readonlyPaths = [...(input.readonlyPaths ?? DEFAULT_READONLY_PATHS)];
  }
  const userMounts = collectUserMounts(input);
  const propagation = rootfsPropagationFor(userMounts);
  if (propagation) linux.rootfsPropagation = propagation;

  let args = [...input.args];
  if (args.length === 0) throw new InvalidSpecInputError("no command specified");
  // Docker adds the init only when the container has its own pid namespace.
  const init = input.init && pidPrivate ? input.init : undefined;
  if (init) args = [INIT_PATH_IN_CONTAINER, "--", ...args];

  const spec: OciSpec = {
    ociVersion: OCI_VERSION,
    process: buildProcess(input, args),
    root: { path: input.rootfs, readonly: input.readonlyRootfs },
    mounts: buildMounts(input, userMounts, { init, ipcPrivate }),
    linux,
  };
  if (utsPrivate && input.hostname) spec.hostname = input.hostname;
  const seccomp = seccompFor({
    privileged: input.privileged,
    securityOpt: input.securityOpt,
    capabilities: spec.process?.capabilities?.bounding ?? [],
  });
  if (seccomp) linux.seccomp = seccomp;
  if (input.annotations && Object.keys(input.annotations).length > 0) {
    spec.annotations = { ...input.annotations };
  }
  return spec;
}

function buildProcess(input: RuntimeSpecInput, args: string[]): OciProcess {
  const cwd = input.cwd === "" ? "/" : input.cwd;
  if (!cwd.startsWith("/")) {
    throw new InvalidSpecInputError(
      `the working directory '${cwd}' is invalid, it needs to be an absolute path`,
    );
  }
  const caps = resolveCapabilities({
    capAdd: input.capAdd,
    capDrop: input.capDrop,
    privileged: input.privileged,
    available: input.availableCapabilities,
  });
  // Docker 20.10.14+ leaves inheritable (and ambient) empty: a non-root user's execve then
  // drops permitted/effective, exactly as on Docker (CVE-2022-24769).
  const capabilities: OciCapabilities = { bounding: caps, effective: [...caps], permitted: [...caps] };
  const process: OciProcess = {
    terminal: input.terminal,
    user: {
      uid: input.user.uid,
      gid: input.user.gid,
      additionalGids: unique([input.user.gid, ...input.user.additionalGids]),
    },
    args,
    env: buildEnv(input.env, input.hostname, input.terminal),
    cwd: path.normalize(cwd),
    capabilities,
    rlimits: buildRlimits(input.ulimits, input.hostHardLimits),
  };
  if (input.terminal && input.consoleSize) process.consoleSize = { ...input.consoleSize };
  if (parseNoNewPrivileges(input.securityOpt, input.noNewPrivileges ?? false)) process.noNewPrivileges = true;
  if (input.oomScoreAdj !== undefined) process.oomScoreAdj = input.oomScoreAdj;
  return process;
}

function buildNamespaces(input: RuntimeSpecInput): OciNamespace[] {
  const ns: OciNamespace[] = [{ type: "mount" }];
  if (input.network.mode === "none") ns.push({ type: "network" });
  else if (input.network.mode === "netns") ns.push({ type: "network", path: input.network.path });
  if (input.utsMode !== "host") ns.push({ type: "uts" });
  const join = (mode: RuntimeSpecInput["pidMode"] | RuntimeSpecInput["ipcMode"], type: "pid" | "ipc") => {
    if (mode === "host") return;
    if (typeof mode === "object") ns.push({ type, path: `/proc/${mode.joinPid}/ns/${type}` });
    else ns.push({ type });
  };
  join(input.pidMode, "pid");
  join(input.ipcMode, "ipc");
  if (input.cgroupNamespace) ns.push({ type: "cgroup" });
  return ns;
}

function buildSysctls(
  input: RuntimeSpecInput,
  netPrivate: boolean,
  utsPrivate: boolean,
): Record<string, string> {
  const sysctl: Record<string, string> = {};
  if (netPrivate && input.defaultNetworkSysctls !== false) {
    // Docker grants these in new network namespaces: ICMP echo sockets without CAP_NET_RAW,
    // and binding ports below 1024 without CAP_NET_BIND_SERVICE.
    sysctl["net.ipv4.ping_group_range"] = "0 2147483647";
    sysctl["net.ipv4.ip_unprivileged_port_start"] = "0";
  }
  // The NIS domain name has no runc 1.1 field; this sysctl is setdomainname(2).
  if (input.domainname && utsPrivate) sysctl["kernel.domainname"] = input.domainname;
  return { ...sysctl, ...input.sysctls };
}

/** Environment as Docker builds it: PATH, HOSTNAME, TERM (tty) first, then the container's env. */
export function buildEnv(env: readonly string[], hostname: string, terminal: boolean): string[] {
  const base = [`PATH=${DEFAULT_PATH_ENV}`, `HOSTNAME=${hostname}`];
  if (terminal) base.push("TERM=xterm");
  return replaceOrAppendEnv(base, env);
}

/** Overrides replace same-named entries in place; an entry without "=" unsets the variable. */
export function replaceOrAppendEnv(defaults: readonly string[], overrides: readonly string[]): string[] {
  const out: Array<string | null> = [...defaults];
  const index = new Map<string, number>();
  out.forEach((e, i) => {
    if (e !== null) index.set(envKey(e), i);
  });
  for (const value of overrides) {
    const key = envKey(value);
    const at = index.get(key);
    if (!value.includes("=")) {
      if (at !== undefined) out[at] = null;
      index.delete(key);
    } else if (at !== undefined) {
      out[at] = value;
    } else {
      index.set(key, out.length);
      out.push(value);
    }
  }
  return out.filter((e): e is string => e !== null);
}

function envKey(entry: string): string {
  const eq = entry.indexOf("=");
  return eq < 0 ? entry : entry.slice(0, eq);
}

export interface CapabilityOptions {
  capAdd: readonly string[];
  capDrop: readonly string[];
  privileged: boolean;
  /** Capabilities the host can grant (its bounding set); defaults to ALL_CAPABILITIES. */
  available?: readonly string[];
}

/** Docker's TweakCapabilities: defaults, minus drops, plus adds; "ALL" on either side. */
export function resolveCapabilities(opts: CapabilityOptions): string[] {
  const available = new Set(opts.available ?? ALL_CAPABILITIES);
  const all = ALL_CAPABILITIES.filter((c) => available.has(c));
  if (opts.privileged) return all;
  const drops = normalizeCapabilities(opts.capDrop, available, false);
  const adds = normalizeCapabilities(opts.capAdd, available, true);
  if (adds.includes("ALL")) return all.filter((c) => !drops.includes(c));
  if (drops.includes("ALL")) return unique(adds);
  const kept = DEFAULT_CAPABILITIES.filter((c) => available.has(c) && !drops.includes(c));
  return unique([...kept, ...adds]);
}

/** Upper-case, add the CAP_ prefix, reject unknown names (and unavailable ones when adding). */
export function normalizeCapabilities(
  names: readonly string[],
  available: ReadonlySet<string>,
  mustBeAvailable: boolean,
): string[] {
  const out: string[] = [];
  for (const raw of names) {
    let cap = raw.trim().toUpperCase();
    if (cap === "ALL") {
      out.push(cap);
      continue;
    }
    if (!cap.startsWith("CAP_")) cap = `CAP_${cap}`;
    if (!ALL_CAPABILITIES.includes(cap)) throw new InvalidSpecInputError(`unknown capability: "${cap}"`);
    if (mustBeAvailable && !available.has(cap)) {
      throw new InvalidSpecInputError(
        `capability not supported by your kernel or not available in the current environment: "${cap}"`,
      );
    }
    out.push(cap);
  }
  return out;
}

/** The capability bitmask /proc/<pid>/status shows (CapEff etc.), for comparisons. */
export function capabilityMask(names: readonly string[]): bigint {
  let mask = 0n;
  for (const name of names) {
    const bit = ALL_CAPABILITIES.indexOf(name);
    if (bit < 0) throw new InvalidSpecInputError(`unknown capability: "${name}"`);
    mask |= 1n << BigInt(bit);
  }
  return mask;
}

/** no-new-privileges from --security-opt (Go ParseBool values), else the daemon default. */
export function parseNoNewPrivileges(securityOpt: readonly string[], daemonDefault: boolean): boolean {
  let value = daemonDefault;
  for (const opt of securityOpt) {
    if (opt === "no-new-privileges") {
      value = true;
      continue;
    }
    const m = /^no-new-privileges[=:](.*)$/.exec(opt);
    if (!m) continue;
    const v = m[1]!;
    if (["1", "t", "T", "true", "TRUE", "True"].includes(v)) value = true;
    else if (["0", "f", "F", "false", "FALSE", "False"].includes(v)) value = false;
    else throw new InvalidSpecInputError(`invalid --security-opt 2: "${opt}"`);
  }
  return value;
}

/**
 * Container rlimits: the requested ulimits plus Docker's nofile default, each clamped to the
 * host's hard limit (the kernel refuses to raise a hard limit without CAP_SYS_RESOURCE).
 * -1 means unlimited and is written as Infinity (see ociSpecToJson).
 */
export function buildRlimits(
  ulimits: readonly Ulimit[],
  hostHardLimits: Record<string, number>,
): OciRlimit[] {
  const wanted = new Map<string, { soft: number; hard: number }>();
  for (const u of ulimits) {
    const name = u.Name.toLowerCase();
    if (!(name in RLIMIT_NAMES)) throw new InvalidSpecInputError(`invalid ulimit type: ${u.Name}`);
    const soft = rlimitValue(u.Soft, name);
    const hard = rlimitValue(u.Hard, name);
    if (soft > hard) {
      throw new InvalidSpecInputError(
        `ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`,
      );
    }
    wanted.set(name, { soft, hard });
  }
  if (!wanted.has("nofile")) wanted.set("nofile", { soft: DEFAULT_NOFILE, hard: DEFAULT_NOFILE });
  const out: OciRlimit[] = [];
  for (const [name, limit] of wanted) {
    const host = hostHardLimits[name];
    const hard = host === undefined ? limit.hard : Math.min(limit.hard, host);
    out.push({ type: RLIMIT_NAMES[name]!, soft: Math.min(limit.soft, hard), hard });
  }
  return out;
}

function rlimitValue(v: number, name: string): number {
  if (v === -1) return Number.POSITIVE_INFINITY;
  if (!Number.isInteger(v) || v < 0)
    throw new InvalidSpecInputError(`invalid ulimit value for ${name}: ${v}`);
  return v;
}

export interface ResourceOptions {
  privileged: boolean;
  swapLimitSupported: boolean;
}

/** Docker's HostConfig resources → OCI linux.resources, with Docker's 0 / -1 conventions. */
export function buildResources(r: RuntimeResources, opts: ResourceOptions): OciResources {
  const out: OciResources = {
    devices: opts.privileged ? [{ allow: true, access: "rwm" }] : DEFAULT_DEVICE_RULES.map((d) => ({ ...d })),
  };
  const memory = buildMemory(r, opts.swapLimitSupported);
  if (memory) out.memory = memory;
  const cpu = buildCpu(r);
  if (cpu) out.cpu = cpu;
  // 0 and negatives mean "no limit"; runc needs -1 to lift a previous limit on update.
  if (r.pidsLimit !== undefined) out.pids = { limit: r.pidsLimit > 0 ? r.pidsLimit : -1 };
  if (r.blkioWeight !== undefined && r.blkioWeight > 0) out.blockIO = { weight: r.blkioWeight };
  return out;
}

function buildMemory(r: RuntimeResources, swapLimitSupported: boolean): OciMemory | undefined {
  const m: OciMemory = {};
  const limit = r.memory ?? 0;
  const swap = r.memorySwap ?? 0;
  if (limit > 0) m.limit = limit;
  if ((r.memoryReservation ?? 0) > 0) m.reservation = r.memoryReservation;
  if (limit === 0 && swap > 0) {
    throw new InvalidSpecInputError(
      "You should always set the Memory limit when using Memoryswap limit, see usage",
    );
  }
  if (limit > 0 && swap > 0 && swap < limit) {
    throw new InvalidSpecInputError("Minimum memoryswap limit should be larger than memory limit, see usage");
  }
  // Docker's default swap allowance is as much again as the memory limit; -1 is unlimited,
  // which is what leaving the field out gives.
  if (swapLimitSupported && limit > 0) {
    if (swap > 0) m.swap = swap;
    else if (swap === 0) m.swap = limit * 2;
  }
  if (r.oomKillDisable) m.disableOOMKiller = true;
  if (r.swappiness !== undefined && r.swappiness >= 0) m.swappiness = r.swappiness;
  return Object.keys(m).length > 0 ? m : undefined;
}

function buildCpu(r: RuntimeResources): OciCpu | undefined {
  const c: OciCpu = {};
  const nano = r.nanoCpus ?? 0;
  if (nano > 0 && (r.cpuPeriod ?? 0) > 0) {
    throw new InvalidSpecInputError("Conflicting options: Nano CPUs and CPU Period cannot both be set");
  }
  if (nano > 0 && (r.cpuQuota ?? 0) > 0) {
    throw new InvalidSpecInputError("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  }
  if (r.cpuShares !== undefined && r.cpuShares !== 0) {
    if (r.cpuShares < 0) {
      throw new InvalidSpecInputError(
        `invalid CPU shares (${r.cpuShares}): value must be a positive integer`,
      );
    }
    c.shares = r.cpuShares;
  }
  if (r.cpusetCpus) c.cpus = r.cpusetCpus;
  if (r.cpusetMems) c.mems = r.cpusetMems;
  if (nano > 0) {
    c.period = NANO_CPU_PERIOD;
    c.quota = Math.trunc((nano * NANO_CPU_PERIOD) / 1e9);
  }
  if (r.cpuPeriod !== undefined && r.cpuPeriod !== 0) c.period = r.cpuPeriod;
  if (r.cpuQuota !== undefined && r.cpuQuota !== 0) c.quota = r.cpuQuota;
  if ((r.cpuRealtimePeriod ?? 0) > 0) c.realtimePeriod = r.cpuRealtimePeriod;
  if ((r.cpuRealtimeRuntime ?? 0) > 0) c.realtimeRuntime = r.cpuRealtimeRuntime;
  return Object.keys(c).length > 0 ? c : undefined;
}

/** Mounts the user asked for (or that belong to the container), before depth sorting. */
function collectUserMounts(input: RuntimeSpecInput): OciMount[] {
  const mounts: OciMount[] = input.mounts.map((m) => ({
    destination: cleanDestination(m.destination),
    type: m.type,
    source: m.source,
    options: [...m.options],
  }));
  for (const [dest, data] of Object.entries(input.tmpfs)) {
    mounts.push({
      destination: cleanDestination(dest),
      type: "tmpfs",
      source: "tmpfs",
      options: mergeTmpfsOptions(["noexec", "nosuid", "nodev", "rprivate", ...splitOptions(data)]),
    });
  }
  // Sharing an IPC namespace shares its /dev/shm: the host's, or a shareable container's.
  const shm = input.ipcMode === "host" ? "/dev/shm" : input.sharedShm;
  if (shm)
    mounts.push({ destination: "/dev/shm", type: "bind", source: shm, options: ["rbind", "rprivate"] });
  const seen = new Set<string>();
  for (const m of mounts) {
    if (seen.has(m.destination)) throw new InvalidSpecInputError(`Duplicate mount point: ${m.destination}`);
    seen.add(m.destination);
  }
  // The container's own etc files yield to a user mount at the same place, as in Docker.
  const etc: Array<[string, string]> = [
    ["/etc/resolv.conf", input.etcFiles.resolvConf],
    ["/etc/hostname", input.etcFiles.hostname],
    ["/etc/hosts", input.etcFiles.hosts],
  ];
  for (const [destination, source] of etc) {
    if (seen.has(destination)) continue;
    const options = input.readonlyRootfs ? ["rbind", "ro", "rprivate"] : ["rbind", "rprivate"];
    mounts.push({ destination, type: "bind", source, options });
  }
  return mounts;
}

function buildMounts(
  input: RuntimeSpecInput,
  userMounts: OciMount[],
  ctx: { init?: { hostPath: string }; ipcPrivate: boolean },
): OciMount[] {
  const defaults: OciMount[] = [
    { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
    {
      destination: "/dev",
      type: "tmpfs",
      source: "tmpfs",
      options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
    },
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
    },
    { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
    {
      destination: "/sys/fs/cgroup",
      type: "cgroup",
      source: "cgroup",
      options: ["ro", "nosuid", "noexec", "nodev"],
    },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
  ];
  if (ctx.ipcPrivate) {
    const size = input.shmSize > 0 ? input.shmSize : DEFAULT_SHM_SIZE;
    defaults.push({
      destination: "/dev/shm",
      type: "tmpfs",
      source: "shm",
      options: ["nosuid", "noexec", "nodev", "mode=1777", `size=${size}`],
    });
  }
  if (ctx.init) {
    defaults.push({
      destination: INIT_PATH_IN_CONTAINER,
      type: "bind",
      source: ctx.init.hostPath,
      options: ["bind", "ro"],
    });
  }

  const userDests = new Set(userMounts.map((m) => m.destination));
  const devMounted = userDests.has("/dev");
  const kept = defaults.filter(
    (m) => !userDests.has(m.destination) && !(devMounted && m.destination.startsWith("/dev/")),
  );
  for (const m of kept) {
    // A read-only rootfs makes Docker's own mounts read-only too, except the ones
    // programs must be able to write.
    const writable = ["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue"].includes(m.destination);
    if (input.readonlyRootfs && !writable && !m.options!.includes("ro")) m.options!.push("ro");
    if (input.privileged && (m.destination === "/sys" || m.type === "cgroup")) {
      m.options = m.options!.filter((o) => o !== "ro");
    }
  }
  return [...kept, ...sortByDepth(userMounts)];
}

/** Parents before children: stable sort on the number of path components (as Docker). */
export function sortByDepth<T extends { destination: string }>(mounts: readonly T[]): T[] {
  const depth = (m: T) => path.normalize(m.destination).split("/").length;
  return mounts
    .map((m, i) => ({ m, i }))
    .sort((a, b) => depth(a.m) - depth(b.m) || a.i - b.i)
    .map(({ m }) => m);
}

function cleanDestination(dest: string): string {
  if (!dest.startsWith("/")) {
    throw new InvalidSpecInputError(`invalid mount config: mount path must be absolute: ${dest}`);
  }
  const clean = path.normalize(dest);
  return clean.length > 1 && clean.endsWith("/") ? clean.slice(0, -1) : clean;
}

function rootfsPropagationFor(mounts: readonly OciMount[]): OciLinux["rootfsPropagation"] {
  const opts = mounts.flatMap((m) => m.options ?? []);
  // Shared or slave bind mounts only propagate if the rootfs mount allows it.
  if (opts.some((o) => o === "shared" || o === "rshared")) return "shared";
  if (opts.some((o) => o === "slave" || o === "rslave")) return "rslave";
  return undefined;
}

function splitOptions(data: string): string[] {
  return data
    .split(",")
    .map((o) => o.trim())
    .filter((o) => o !== "");
}

// Mount flags that override each other; a later one wins (moby/sys/mount MergeTmpfsOptions).
const FLAG_GROUPS: Record<string, string> = {
  ro: "rdonly",
  rw: "rdonly",
  suid: "nosuid",
  nosuid: "nosuid",
  dev: "nodev",
  nodev: "nodev",
  exec: "noexec",
  noexec: "noexec",
  sync: "sync",
  async: "sync",
  dirsync: "dirsync",
  remount: "remount",
  mand: "mand",
  nomand: "mand",
  atime: "noatime",
  noatime: "noatime",
  diratime: "nodiratime",
  nodiratime: "nodiratime",
  bind: "bind",
  rbind: "rbind",
  relatime: "relatime",
  norelatime: "relatime",
  strictatime: "strictatime",
  nostrictatime: "strictatime",
  private: "propagation",
  rprivate: "propagation",
  shared: "propagation",
  rshared: "propagation",
  slave: "propagation",
  rslave: "propagation",
  unbindable: "propagation",
  runbindable: "propagation",
};
const TMPFS_DATA_KEYS = new Set(["size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol"]);

/** De-duplicate tmpfs options, keeping the last of each flag group and data key. */
export function mergeTmpfsOptions(options: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (let i = options.length - 1; i >= 0; i--) {
    const opt = options[i]!;
    if (opt === "defaults") continue;
    let key = FLAG_GROUPS[opt];
    if (key === undefined) {
      const eq = opt.indexOf("=");
      const name = eq < 0 ? opt : opt.slice(0, eq);
      if (eq < 0 || !TMPFS_DATA_KEYS.has(name)) {
        // Docker prints the option split at "=" as a Go %q of a string slice: ["bogus"].
        const parts = eq < 0 ? [opt] : [name, opt.slice(eq + 1)];
        throw new InvalidSpecInputError(
          `invalid tmpfs option [${parts.map((p) => JSON.stringify(p)).join(" ")}]`,
        );
      }
      key = `data:${name}`;
    }
    if (seen.has(key)) continue;
    seen.add(key);
    out.unshift(opt);
  }
  return out;
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
