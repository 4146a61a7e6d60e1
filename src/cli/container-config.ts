// `docker run`/`docker create` flags → the POST /containers/create body, field for field as the
// docker 28 CLI builds it (cli/command/container/opts.go parse()).
import { readFileSync } from "node:fs";
import type { ContainerCreateRequest } from "../wire/containers.ts";
import type { ParsedFlags } from "./flags.ts";
import { kvMap, readEnv, readLabels } from "./opts/kv.ts";
import { parseMount, parseVolumes } from "./opts/mounts.ts";
import { parsePorts } from "./opts/ports.ts";
import {
  normalizeCapabilities,
  normalizeExtraHost,
  parseGoDuration,
  parseMemBytes,
  parseNanoCpus,
  parseRestartPolicy,
  parseSwapBytes,
  parseThrottleDevice,
  parseUlimit,
  parseWeightDevice,
  splitTmpfs,
} from "./opts/values.ts";

export interface ContainerOptions {
  image: string;
  body: ContainerCreateRequest;
  name: string | undefined;
  platform: string | undefined;
  autoRemove: boolean;
}

/** The endpoint settings docker sends for a network with nothing special to say. */
export function emptyEndpoint(aliases: string[] | null = null): Record<string, unknown> {
  return {
    IPAMConfig: null,
    Links: null,
    Aliases: aliases,
    MacAddress: "",
    DriverOpts: null,
    GwPriority: 0,
    NetworkID: "",
    EndpointID: "",
    Gateway: "",
    IPAddress: "",
    IPPrefixLen: 0,
    IPv6Gateway: "",
    GlobalIPv6Address: "",
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}

/** container.NetworkMode.IsUserDefined */
export function isUserDefinedNetwork(mode: string): boolean {
  return !["default", "bridge", "host", "none"].includes(mode) && !mode.startsWith("container:");
}

function networking(flags: ParsedFlags): { mode: string; endpoints: Record<string, unknown> } {
  const networks = flags.list("network");
  const aliases = flags.list("network-alias");
  const ip = flags.string("ip");
  const ip6 = flags.string("ip6");
  const links = flags.list("link");
  const linkLocal = flags.list("link-local-ip");
  // The old single-network flags apply to the first network (or the default one).
  const apply = (target: string, ep: Record<string, unknown>): boolean => {
    const userDefined = isUserDefinedNetwork(target);
    if (aliases.length > 0) {
      if (!userDefined)
        throw new Error("network-scoped aliases are only supported for user-defined networks");
      ep.Aliases = aliases;
    }
    const withLinks = userDefined && links.length > 0;
    if (withLinks) ep.Links = links;
    const withIpam = !!ip || !!ip6 || linkLocal.length > 0;
    if (withIpam) {
      // Only what was given, as Go's omitempty sends it.
      const ipam: Record<string, unknown> = {};
      if (ip) ipam.IPv4Address = ip;
      if (ip6) ipam.IPv6Address = ip6;
      if (linkLocal.length > 0) ipam.LinkLocalIPs = linkLocal;
      ep.IPAMConfig = ipam;
    }
    const mac = flags.string("mac-address");
    if (mac) {
      if (!/^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/.test(mac))
        throw new Error(`${mac} is not a valid mac address`);
      ep.MacAddress = mac;
    }
    return aliases.length > 0 || withLinks || withIpam || !!mac;
  };
  if (networks.length === 0) {
    const ep = emptyEndpoint();
    apply("default", ep);
    return { mode: "default", endpoints: { default: ep } };
  }
  const endpoints: Record<string, unknown> = {};
  networks.forEach((n, i) => {
    if (n in endpoints) throw new Error(`network "${n}" is specified multiple times`);
    const ep = emptyEndpoint();
    const hasOptions = i === 0 ? apply(n, ep) : false;
    // One network without options: the daemon makes the endpoint, the CLI sends none.
    if (i === 0 && networks.length === 1 && !hasOptions) return;
    endpoints[n] = ep;
  });
  return { mode: networks[0] as string, endpoints: sortedMap(endpoints) };
}

/** Go marshals maps with sorted keys; the CLI's bodies show them that way. */
export function sortedMap<T>(m: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(m).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) out[k] = m[k] as T;
  return out;
}

/** parseSecurityOpts: seccomp profiles are read on the client and sent inline. */
function securityOpts(values: readonly string[]): string[] | null {
  if (values.length === 0) return null;
  return values.map((opt) => {
    let sep = opt.indexOf("=");
    if (sep < 0 && opt !== "no-new-privileges") {
      sep = opt.indexOf(":");
      if (sep < 0) throw new Error(`Invalid --security-opt: ${JSON.stringify(opt)}`);
    }
    if (sep < 0) return opt;
    const key = opt.slice(0, sep);
    const value = opt.slice(sep + 1);
    if (key === "seccomp" && value !== "unconfined" && value !== "builtin") {
      let profile: string;
      try {
        profile = JSON.stringify(JSON.parse(readFileSync(value, "utf8")));
      } catch (err) {
        throw new Error(`opening seccomp profile (${value}) failed: ${(err as Error).message}`);
      }
      return `seccomp=${profile}`;
    }
    return opt;
  });
}

function healthcheck(flags: ParsedFlags): Record<string, unknown> | undefined {
  const cmd = flags.string("health-cmd");
  const ns = (name: string) => (flags.changed(name) ? parseGoDuration(flags.string(name) as string) : 0);
  const interval = ns("health-interval");
  const timeout = ns("health-timeout");
  const startPeriod = ns("health-start-period");
  const startInterval = ns("health-start-interval");
  const retries = flags.int("health-retries") ?? 0;
  const any = cmd !== undefined || interval || timeout || startPeriod || startInterval || retries;
  if (flags.bool("no-healthcheck")) {
    if (any) throw new Error("--no-healthcheck conflicts with --health-* options");
    return { Test: ["NONE"] };
  }
  if (!any) return undefined;
  for (const [name, v] of [
    ["--health-interval", interval],
    ["--health-timeout", timeout],
    ["--health-start-period", startPeriod],
    ["--health-start-interval", startInterval],
  ] as const) {
    if (v < 0) throw new Error(`${name} cannot be negative`);
  }
  if (retries < 0) throw new Error("--health-retries cannot be negative");
  const hc: Record<string, unknown> = {};
  if (cmd !== undefined) hc.Test = cmd === "" ? [] : ["CMD-SHELL", cmd];
  if (interval) hc.Interval = interval;
  if (timeout) hc.Timeout = timeout;
  if (startPeriod) hc.StartPeriod = startPeriod;
  if (startInterval) hc.StartInterval = startInterval;
  if (retries) hc.Retries = retries;
  return hc;
}

function mapOf(values: readonly string[]): Record<string, string> | undefined {
  return values.length > 0 ? sortedMap(kvMap(values)) : undefined;
}

/** The create body for `[flags] IMAGE [COMMAND] [ARG...]`. */
export function buildContainerConfig(
  flags: ParsedFlags,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): ContainerOptions {
  if (flags.changed("gpus")) throw new Error("GPU requests (--gpus) are not supported by wharf");
  if (flags.bool("use-api-socket")) throw new Error("--use-api-socket is not supported by wharf yet");
  const image = args[0] as string;
  const cmd = args.slice(1);

  const attach = flags.list("attach").map((a) => a.toLowerCase());
  let attachStdin = attach.includes("stdin");
  let attachStdout = attach.includes("stdout");
  let attachStderr = attach.includes("stderr");
  const openStdin = flags.bool("interactive");
  if (openStdin) attachStdin = true;
  if (attach.length === 0) {
    attachStdout = true;
    attachStderr = true;
  }
  const restart = parseRestartPolicy(flags.string("restart") ?? "no");
  const autoRemove = flags.bool("rm");
  if (autoRemove && restart.Name !== "" && restart.Name !== "no") {
    throw new Error("conflicting options: cannot specify both --restart and --rm");
  }

  const ports = parsePorts(flags.list("publish"), flags.list("expose"));
  const volumes = parseVolumes(flags.list("volume"));
  const mounts = flags.list("mount").map(parseMount);
  const labels = readLabels(flags.list("label-file"), flags.list("label"));
  const envList = readEnv(flags.list("env-file"), flags.list("env"), env);
  const tmpfs: Record<string, string> = {};
  for (const t of flags.list("tmpfs")) {
    const [path, options] = splitTmpfs(t);
    tmpfs[path] = options;
  }
  const ulimits = flags
    .list("ulimit")
    .map(parseUlimit)
    .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  const net = networking(flags);

  let entrypoint: string[] | null = null;
  const ep = flags.string("entrypoint");
  if (ep !== undefined) entrypoint = [ep];

  const memory = flags.changed("memory") ? parseMemBytes(flags.string("memory") as string) : 0;
  const swap = flags.changed("memory-swap") ? parseSwapBytes(flags.string("memory-swap") as string) : 0;
  const health = healthcheck(flags);
  const stopSignal = flags.string("stop-signal");
  const logOpts = kvMap(flags.list("log-opt"));
  const tty = flags.bool("tty");

  const hostConfig: Record<string, unknown> = {
    Binds: volumes.binds.length > 0 ? volumes.binds : null,
    ContainerIDFile: flags.string("cidfile") ?? "",
    LogConfig: { Type: flags.string("log-driver") ?? "", Config: sortedMap(logOpts) },
    NetworkMode: net.mode,
    PortBindings: sortedMap(ports.bindings),
    RestartPolicy: restart.Name === "" ? { Name: "no", MaximumRetryCount: 0 } : restart,
    AutoRemove: autoRemove,
    VolumeDriver: flags.string("volume-driver") ?? "",
    VolumesFrom: flags.list("volumes-from").length > 0 ? flags.list("volumes-from") : null,
    ConsoleSize: [0, 0],
    Annotations: mapOf(flags.list("annotation")),
    CapAdd: normalizeCapabilities(flags.list("cap-add")),
    CapDrop: normalizeCapabilities(flags.list("cap-drop")),
    CgroupnsMode: flags.string("cgroupns") ?? "",
    Dns: flags.list("dns"),
    DnsOptions: flags.list("dns-option"),
    DnsSearch: flags.list("dns-search"),
    ExtraHosts: flags.list("add-host").length > 0 ? flags.list("add-host").map(normalizeExtraHost) : null,
    GroupAdd: flags.list("group-add").length > 0 ? flags.list("group-add") : null,
    IpcMode: flags.string("ipc") ?? "",
    Cgroup: "",
    Links: flags.list("link").length > 0 ? flags.list("link") : null,
    OomScoreAdj: flags.int("oom-score-adj") ?? 0,
    PidMode: flags.string("pid") ?? "",
    Privileged: flags.bool("privileged"),
    PublishAllPorts: flags.bool("publish-all"),
    ReadonlyRootfs: flags.bool("read-only"),
    SecurityOpt: securityOpts(flags.list("security-opt")),
    StorageOpt: mapOf(flags.list("storage-opt")),
    Tmpfs: Object.keys(tmpfs).length > 0 ? sortedMap(tmpfs) : undefined,
    UTSMode: flags.string("uts") ?? "",
    UsernsMode: flags.string("userns") ?? "",
    ShmSize: flags.changed("shm-size") ? parseMemBytes(flags.string("shm-size") as string) : 0,
    Sysctls: mapOf(flags.list("sysctl")),
    Runtime: flags.string("runtime") || undefined,
    Isolation: flags.string("isolation") ?? "",
    CpuShares: flags.int("cpu-shares") ?? 0,
    Memory: memory,
    NanoCpus: flags.changed("cpus") ? parseNanoCpus(flags.string("cpus") as string) : 0,
    CgroupParent: flags.string("cgroup-parent") ?? "",
    BlkioWeight: flags.int("blkio-weight") ?? 0,
    BlkioWeightDevice: flags.list("blkio-weight-device").map(parseWeightDevice),
    BlkioDeviceReadBps: flags.list("device-read-bps").map((v) => parseThrottleDevice(v, true)),
    BlkioDeviceWriteBps: flags.list("device-write-bps").map((v) => parseThrottleDevice(v, true)),
    BlkioDeviceReadIOps: flags.list("device-read-iops").map((v) => parseThrottleDevice(v, false)),
    BlkioDeviceWriteIOps: flags.list("device-write-iops").map((v) => parseThrottleDevice(v, false)),
    CpuPeriod: flags.int("cpu-period") ?? 0,
    CpuQuota: flags.int("cpu-quota") ?? 0,
    CpuRealtimePeriod: flags.int("cpu-rt-period") ?? 0,
    CpuRealtimeRuntime: flags.int("cpu-rt-runtime") ?? 0,
    CpusetCpus: flags.string("cpuset-cpus") ?? "",
    CpusetMems: flags.string("cpuset-mems") ?? "",
    Devices: flags.list("device").map(parseDevice),
    DeviceCgroupRules: flags.list("device-cgroup-rule").length > 0 ? flags.list("device-cgroup-rule") : null,
    DeviceRequests: null,
    MemoryReservation: flags.changed("memory-reservation")
      ? parseMemBytes(flags.string("memory-reservation") as string)
      : 0,
    MemorySwap: swap,
    MemorySwappiness: flags.int("memory-swappiness") ?? -1,
    OomKillDisable: flags.bool("oom-kill-disable"),
    PidsLimit: flags.int("pids-limit") ?? 0,
    Ulimits: ulimits,
    CpuCount: flags.int("cpu-count") ?? 0,
    CpuPercent: flags.int("cpu-percent") ?? 0,
    IOMaximumIOps: flags.int("io-maxiops") ?? 0,
    IOMaximumBandwidth: flags.changed("io-maxbandwidth")
      ? parseMemBytes(flags.string("io-maxbandwidth") as string)
      : 0,
    Mounts: mounts.length > 0 ? mounts : undefined,
    MaskedPaths: null,
    ReadonlyPaths: null,
    Init: flags.changed("init") ? flags.bool("init") : undefined,
  };

  const body: Record<string, unknown> = {
    Hostname: flags.string("hostname") ?? "",
    Domainname: flags.string("domainname") ?? "",
    User: flags.string("user") ?? "",
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
    ExposedPorts: Object.keys(ports.exposed).length > 0 ? sortedMap(ports.exposed) : undefined,
    Tty: tty,
    OpenStdin: openStdin,
    StdinOnce: openStdin && attachStdin,
    Env: envList.length > 0 ? envList : null,
    Cmd: cmd.length > 0 ? cmd : null,
    Healthcheck: health,
    Image: image,
    Volumes: sortedMap(volumes.volumes),
    WorkingDir: flags.string("workdir") ?? "",
    Entrypoint: entrypoint,
    OnBuild: null,
    Labels: sortedMap(labels),
    StopSignal: stopSignal || undefined,
    StopTimeout: flags.changed("stop-timeout") ? flags.int("stop-timeout") : undefined,
    HostConfig: hostConfig,
    NetworkingConfig: { EndpointsConfig: net.endpoints },
  };
  // Drop unset optional fields, as Go's omitempty does.
  for (const o of [body, hostConfig]) {
    for (const [k, v] of Object.entries(o)) if (v === undefined) delete o[k];
  }
  return {
    image,
    body: body as ContainerCreateRequest,
    name: flags.string("name"),
    platform: flags.string("platform"),
    autoRemove,
  };
}

/** --device /dev/x[:/dev/y[:rwm]] */
function parseDevice(spec: string): {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
} {
  const parts = spec.split(":");
  const host = parts[0] ?? "";
  let inContainer = host;
  let perms = "rwm";
  if (parts.length === 2) {
    if (/^[rwm]+$/.test(parts[1] as string)) perms = parts[1] as string;
    else inContainer = parts[1] as string;
  } else if (parts.length === 3) {
    inContainer = parts[1] as string;
    perms = parts[2] as string;
  } else if (parts.length > 3) {
    throw new Error(`invalid device specification: ${spec}`);
  }
  return { PathOnHost: host, PathInContainer: inContainer, CgroupPermissions: perms };
}
