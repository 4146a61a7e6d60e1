// Types of an OCI runtime bundle's config.json (runtime-spec 1.2/1.3), limited to what
// wharf writes or reads. Field names are the spec's JSON names; optional fields are omitted
// from the JSON rather than set to null, because runc decodes null into Go zero values.
// See opencontainers/runtime-spec config.md and config-linux.md.

/** Version we declare; runc 1.1 and crun accept any 1.x. */
export const OCI_VERSION = "1.2.0";

export interface OciSpec {
  ociVersion: string;
  process?: OciProcess;
  root?: OciRoot;
  hostname?: string;
  domainname?: string;
  mounts?: OciMount[];
  hooks?: OciHooks;
  annotations?: Record<string, string>;
  linux?: OciLinux;
}

export interface OciRoot {
  /** Absolute, or relative to the bundle directory. */
  path: string;
  readonly?: boolean;
}

export interface OciProcess {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  user: OciUser;
  args: string[];
  env?: string[];
  cwd: string;
  capabilities?: OciCapabilities;
  rlimits?: OciRlimit[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  oomScoreAdj?: number;
  selinuxLabel?: string;
  ioPriority?: { class: "IOPRIO_CLASS_RT" | "IOPRIO_CLASS_BE" | "IOPRIO_CLASS_IDLE"; priority: number };
}

export interface OciUser {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
}

/** Capability names carry the CAP_ prefix, e.g. "CAP_CHOWN". */
export interface OciCapabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

/**
 * `type` is e.g. "RLIMIT_NOFILE". The kernel's RLIM_INFINITY (2^64-1) cannot be a JS
 * number: wharf writes it as `Infinity` and `ociSpecToJson` renders the exact integer.
 */
export interface OciRlimit {
  type: string;
  soft: number;
  hard: number;
}

export interface OciMount {
  destination: string;
  source?: string;
  type?: string;
  options?: string[];
  uidMappings?: OciIdMapping[];
  gidMappings?: OciIdMapping[];
}

export interface OciIdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface OciHook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

export interface OciHooks {
  /** Deprecated by the spec, still honoured by runc and crun. */
  prestart?: OciHook[];
  createRuntime?: OciHook[];
  createContainer?: OciHook[];
  startContainer?: OciHook[];
  poststart?: OciHook[];
  poststop?: OciHook[];
}

export type OciNamespaceType = "pid" | "network" | "mount" | "ipc" | "uts" | "user" | "cgroup" | "time";

export interface OciNamespace {
  type: OciNamespaceType;
  /** Join this existing namespace (e.g. /var/run/netns/x) instead of creating one. */
  path?: string;
}

export interface OciLinux {
  namespaces?: OciNamespace[];
  uidMappings?: OciIdMapping[];
  gidMappings?: OciIdMapping[];
  devices?: OciDevice[];
  cgroupsPath?: string;
  resources?: OciResources;
  rootfsPropagation?: "private" | "rprivate" | "shared" | "rshared" | "slave" | "rslave" | "unbindable";
  seccomp?: OciSeccomp;
  sysctl?: Record<string, string>;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
}

/** A device node the runtime creates inside the container. */
export interface OciDevice {
  type: "c" | "b" | "u" | "p";
  path: string;
  major?: number;
  minor?: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

/** A device cgroup rule; a missing major/minor means "any". */
export interface OciDeviceCgroupRule {
  allow: boolean;
  type?: "a" | "c" | "b";
  major?: number;
  minor?: number;
  access?: string;
}

export interface OciResources {
  devices?: OciDeviceCgroupRule[];
  memory?: OciMemory;
  cpu?: OciCpu;
  pids?: { limit?: number };
  blockIO?: OciBlockIo;
  hugepageLimits?: Array<{ pageSize: string; limit: number }>;
  network?: { classID?: number; priorities?: Array<{ name: string; priority: number }> };
  /** cgroup v2 files written verbatim, e.g. {"memory.high": "1G"}. */
  unified?: Record<string, string>;
}

/** Values in bytes; -1 means unlimited. */
export interface OciMemory {
  limit?: number;
  reservation?: number;
  /** Memory + swap. */
  swap?: number;
  kernel?: number;
  kernelTCP?: number;
  swappiness?: number;
  disableOOMKiller?: boolean;
  useHierarchy?: boolean;
  checkBeforeUpdate?: boolean;
}

export interface OciCpu {
  shares?: number;
  /** Microseconds per period; -1 means unlimited. */
  quota?: number;
  burst?: number;
  period?: number;
  realtimeRuntime?: number;
  realtimePeriod?: number;
  cpus?: string;
  mems?: string;
  idle?: number;
}

export interface OciBlockIo {
  weight?: number;
  leafWeight?: number;
  weightDevice?: Array<{ major: number; minor: number; weight?: number; leafWeight?: number }>;
  throttleReadBpsDevice?: OciThrottleDevice[];
  throttleWriteBpsDevice?: OciThrottleDevice[];
  throttleReadIOPSDevice?: OciThrottleDevice[];
  throttleWriteIOPSDevice?: OciThrottleDevice[];
}

export interface OciThrottleDevice {
  major: number;
  minor: number;
  rate: number;
}

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: OciSyscallRule[];
}

export interface OciSyscallRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: Array<{ index: number; value: number; valueTwo?: number; op: string }>;
}

const RLIM_INFINITY_TEXT = "18446744073709551615";
const INFINITY_MARK = "\u0000wharf-rlim-infinity\u0000";

/**
 * Serialize a spec for config.json. Use this rather than JSON.stringify: an unlimited
 * rlimit (Infinity) must become RLIM_INFINITY, which no JS number can hold exactly.
 */
export function ociSpecToJson(spec: OciSpec, indent?: number): string {
  const text = JSON.stringify(
    spec,
    (key, value: unknown) =>
      (key === "soft" || key === "hard") && value === Number.POSITIVE_INFINITY ? INFINITY_MARK : value,
    indent,
  );
  return text.replaceAll(JSON.stringify(INFINITY_MARK), RLIM_INFINITY_TEXT);
}
