// The container's seccomp filter. By default wharf's own profile: every system call allowed
// except those Docker's default profile keeps from containers (the kernel keyring, modules,
// kexec, clocks, mounts and new namespaces, tracing, NUMA and I/O privilege calls …), each
// unlocked by the capability that would make it legitimate, as Docker's profile does. It is a
// deny list rather than Docker's allow list: new harmless calls keep working on newer kernels.
// `--security-opt seccomp=<profile JSON>` (Docker's format, sent inline by the docker CLI)
// replaces it; `seccomp=unconfined`, or --privileged without a named profile, turns it off.
import { arch, release } from "node:os";
import { InvalidParameterError } from "../errors.ts";
import type { OciSeccomp, OciSyscallRule } from "./oci-spec.ts";

const EPERM = 1;
const ENOSYS = 38;

/** System calls refused with EPERM unless the container holds the capability (null: never). */
const GATED: ReadonlyArray<[capability: string | null, names: readonly string[]]> = [
  // The kernel keyring is not namespaced.
  [null, ["add_key", "keyctl", "request_key"]],
  // Obsolete or removed calls: nothing legitimate uses them, old kernels had bugs in them.
  [
    null,
    ["create_module", "get_kernel_syms", "query_module", "nfsservctl", "uselib", "ustat", "sysfs", "_sysctl"],
  ],
  // Loading another kernel.
  [null, ["kexec_load", "kexec_file_load"]],
  ["CAP_SYS_MODULE", ["init_module", "finit_module", "delete_module"]],
  ["CAP_SYS_TIME", ["settimeofday", "stime", "clock_settime", "clock_settime64"]],
  ["CAP_SYS_BOOT", ["reboot"]],
  ["CAP_SYS_PACCT", ["acct"]],
  ["CAP_SYS_RAWIO", ["ioperm", "iopl"]],
  ["CAP_SYS_PTRACE", ["kcmp", "process_vm_readv", "process_vm_writev"]],
  ["CAP_SYS_NICE", ["mbind", "set_mempolicy", "move_pages"]],
  ["CAP_DAC_READ_SEARCH", ["open_by_handle_at"]],
  ["CAP_SYSLOG", ["syslog"]],
  [
    "CAP_SYS_ADMIN",
    [
      "mount",
      "umount",
      "umount2",
      "pivot_root",
      "unshare",
      "setns",
      "swapon",
      "swapoff",
      "quotactl",
      "quotactl_fd",
      "bpf",
      "perf_event_open",
      "lookup_dcookie",
      "fanotify_init",
      "name_to_handle_at",
      "open_tree",
      "move_mount",
      "fsopen",
      "fsconfig",
      "fsmount",
      "fspick",
      "mount_setattr",
      "vm86",
      "vm86old",
    ],
  ],
];

/** clone(2) flags that make a namespace: refused without CAP_SYS_ADMIN, as unshare is. */
const CLONE_NAMESPACE_FLAGS = [
  0x00020000, // CLONE_NEWNS
  0x02000000, // CLONE_NEWCGROUP
  0x04000000, // CLONE_NEWUTS
  0x08000000, // CLONE_NEWIPC
  0x10000000, // CLONE_NEWUSER
  0x20000000, // CLONE_NEWPID
  0x40000000, // CLONE_NEWNET
];

/** The native ABI and the compat ones its kernel also accepts: all must be filtered. */
function architectures(): string[] {
  switch (arch()) {
    case "x64":
      return ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"];
    case "arm64":
      return ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"];
    default:
      return [];
  }
}

/** wharf's default profile for a container holding `capabilities` (CAP_ names). */
export function defaultSeccompProfile(capabilities: readonly string[]): OciSeccomp {
  const held = new Set(capabilities);
  const names = GATED.filter(([cap]) => cap === null || !held.has(cap)).flatMap(([, n]) => n);
  const syscalls: OciSyscallRule[] = [{ names, action: "SCMP_ACT_ERRNO", errnoRet: EPERM }];
  if (!held.has("CAP_SYS_ADMIN")) {
    // One rule per flag: rules for one call are alternatives, so any flag set refuses it.
    for (const flag of CLONE_NAMESPACE_FLAGS) {
      syscalls.push({
        names: ["clone"],
        action: "SCMP_ACT_ERRNO",
        errnoRet: EPERM,
        args: [{ index: 0, value: flag, valueTwo: flag, op: "SCMP_CMP_MASKED_EQ" }],
      });
    }
    // clone3 passes its flags in memory, out of a filter's reach: ENOSYS makes libc use clone.
    syscalls.push({ names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: ENOSYS });
  }
  return { defaultAction: "SCMP_ACT_ALLOW", architectures: architectures(), syscalls };
}

/** Docker's seccomp profile format: OCI's, plus conditions on capabilities, arch and kernel. */
interface DockerSeccompProfile {
  defaultAction?: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: Array<{ architecture?: string; subArchitectures?: string[] }>;
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: Array<{
    name?: string;
    names?: string[];
    action?: string;
    errnoRet?: number;
    args?: Array<{ index: number; value: number; valueTwo?: number; op: string }>;
    includes?: Condition;
    excludes?: Condition;
  }>;
}

interface Condition {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

/** Go's name for this machine, as Docker's profiles write it in includes.arches. */
const goArch = (): string => ({ x64: "amd64", ia32: "386" })[arch() as "x64" | "ia32"] ?? arch();
const nativeScmpArch = (): string | undefined => architectures()[0];

function kernelAtLeast(min: string): boolean {
  const [major = 0, minor = 0] = release().split(/[.-]/).map(Number);
  const [wantMajor = 0, wantMinor = 0] = min.split(".").map(Number);
  return major > wantMajor || (major === wantMajor && minor >= wantMinor);
}

function conditionHolds(c: Condition, held: Set<string>): boolean {
  if (c.caps?.length && !c.caps.every((cap) => held.has(cap))) return false;
  if (c.arches?.length && !c.arches.includes(goArch())) return false;
  if (c.minKernel && !kernelAtLeast(c.minKernel)) return false;
  return true;
}

function conditionMatches(c: Condition, held: Set<string>): boolean {
  if (c.caps?.some((cap) => held.has(cap))) return true;
  if (c.arches?.includes(goArch())) return true;
  return Boolean(c.minKernel && kernelAtLeast(c.minKernel));
}

/** A profile in Docker's JSON format turned into the OCI filter for this container. */
export function seccompFromDockerProfile(json: string, capabilities: readonly string[]): OciSeccomp {
  let profile: DockerSeccompProfile;
  try {
    profile = JSON.parse(json) as DockerSeccompProfile;
  } catch (err) {
    throw new InvalidParameterError(`Decoding seccomp profile failed: ${(err as Error).message}`);
  }
  // Docker passes such a profile on and runc fails at start ("string  is not a valid action").
  if (typeof profile !== "object" || profile === null || typeof profile.defaultAction !== "string") {
    throw new InvalidParameterError("Decoding seccomp profile failed: defaultAction is required");
  }
  const held = new Set(capabilities);
  let archs = profile.architectures ?? [];
  if (profile.archMap?.length) {
    const native = profile.archMap.find((a) => a.architecture === nativeScmpArch());
    archs = native ? [native.architecture as string, ...(native.subArchitectures ?? [])] : [];
  }
  const syscalls: OciSyscallRule[] = [];
  for (const rule of profile.syscalls ?? []) {
    if (rule.includes && !conditionHolds(rule.includes, held)) continue;
    if (rule.excludes && conditionMatches(rule.excludes, held)) continue;
    const names = rule.names ?? (rule.name ? [rule.name] : []);
    if (names.length === 0 || typeof rule.action !== "string") {
      throw new InvalidParameterError("Decoding seccomp profile failed: a rule needs names and an action");
    }
    const out: OciSyscallRule = { names, action: rule.action };
    if (rule.errnoRet !== undefined) out.errnoRet = rule.errnoRet;
    if (rule.args?.length) out.args = rule.args.map((a) => ({ ...a }));
    syscalls.push(out);
  }
  const oci: OciSeccomp = { defaultAction: profile.defaultAction, architectures: archs, syscalls };
  if (profile.defaultErrnoRet !== undefined) oci.defaultErrnoRet = profile.defaultErrnoRet;
  if (profile.flags?.length) oci.flags = [...profile.flags];
  if (profile.listenerPath) oci.listenerPath = profile.listenerPath;
  if (profile.listenerMetadata) oci.listenerMetadata = profile.listenerMetadata;
  return oci;
}

/** The value of a `seccomp=` (or old `seccomp:`) security option, if one is given. */
export function seccompOption(securityOpt: readonly string[]): string | undefined {
  let value: string | undefined;
  for (const opt of securityOpt) {
    const m = /^seccomp[=:]/.exec(opt);
    if (m) value = opt.slice(m[0].length);
  }
  return value;
}

/**
 * The filter a container runs under: the named profile; none for `seccomp=unconfined` or a
 * privileged container; else the default one. Throws InvalidParameterError for a profile that does not parse.
 */
export function seccompFor(opts: {
  privileged: boolean;
  securityOpt: readonly string[];
  capabilities: readonly string[];
}): OciSeccomp | undefined {
  const option = seccompOption(opts.securityOpt);
  if (option === "unconfined") return undefined;
  if (option !== undefined && option !== "builtin" && option !== "") {
    return seccompFromDockerProfile(option, opts.capabilities);
  }
  // As Docker: a privileged container runs unconfined unless a profile is named.
  if (opts.privileged) return undefined;
  return defaultSeccompProfile(opts.capabilities);
}
