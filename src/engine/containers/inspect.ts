// Docker-shaped views of a container record: the `docker ps` summary and `docker inspect`.

import { humanDuration } from "../../util/human-duration.ts";
import type { ContainerSummary, HostConfig } from "../../wire/containers.ts";
import type { NetworkService } from "../network/service.ts";
import { gatewayOf } from "../network/views.ts";
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from "../runtime/spec.ts";
import { mountPointView } from "../volumes/mount-point.ts";
import { healthSuffix } from "./health.ts";
import { DEFAULT_LOG_DRIVER } from "./log-driver.ts";
import type { ContainerRecord } from "./record.ts";

/** The network views inspect and ps need (the network service provides them). */
export type ContainerNetworkView = Pick<
  NetworkService,
  "containerNetworks" | "containerPorts" | "summaryPorts" | "primaryEndpoint" | "sandboxKey"
>;

export function containerSummary(c: ContainerRecord, net: ContainerNetworkView): ContainerSummary {
  return {
    Id: c.id,
    Names: [`/${c.name}`],
    Image: c.config.Image ?? "",
    ImageID: c.imageId,
    Command: summaryCommand(c.path, c.args),
    Created: Math.floor(Date.parse(c.created) / 1000),
    Ports: net.summaryPorts(c),
    Labels: c.config.Labels ?? {},
    State: c.state.Status,
    Status: statusText(c),
    HostConfig: { NetworkMode: c.hostConfig.NetworkMode ?? "default" },
    NetworkSettings: { Networks: net.containerNetworks(c) },
    Mounts: (c.mountPoints ?? []).map((m) => mountPointView(m)),
  };
}

/** `docker ps`'s COMMAND as moby builds it: arguments with a space are wrapped in single quotes. */
export function summaryCommand(path: string, args: readonly string[]): string {
  return [path, ...args.map((a) => (a.includes(" ") ? `'${a}'` : a))].join(" ");
}

/** The human STATUS of `docker ps`, as the daemon computes it (State.String()). */
export function statusText(c: ContainerRecord, now = Date.now()): string {
  const s = c.state;
  if (s.Running) {
    if (s.Paused) return `Up ${humanDuration((now - Date.parse(s.StartedAt)) / 1000)} (Paused)`;
    return `Up ${humanDuration((now - Date.parse(s.StartedAt)) / 1000)}${healthSuffix(c)}`;
  }
  if (s.Restarting)
    return `Restarting (${s.ExitCode}) ${humanDuration((now - Date.parse(s.FinishedAt)) / 1000)} ago`;
  if (s.Status === "removing") return "Removal In Progress";
  if (s.Dead) return "Dead";
  if (s.FinishedAt.startsWith("0001")) return "Created";
  return `Exited (${s.ExitCode}) ${humanDuration((now - Date.parse(s.FinishedAt)) / 1000)} ago`;
}

export function containerInspect(
  c: ContainerRecord,
  extra: {
    graphDriver: Record<string, string>;
    sizes?: { SizeRw: number; SizeRootFs: number };
    network: ContainerNetworkView;
    execIds?: string[];
    daemon: DaemonHostDefaults;
  },
): Record<string, unknown> {
  const { conmonPid: _conmon, ...state } = c.state;
  const primary = extra.network.primaryEndpoint(c);
  return {
    Id: c.id,
    Created: c.created,
    Path: c.path,
    Args: c.args,
    // As Docker's SetRestarting: a container waiting out its restart back-off counts as running.
    State: {
      ...state,
      Running: state.Running || state.Restarting,
      Status: c.state.Status === "removing" ? "removing" : c.state.Status,
    },
    Image: c.imageId,
    ResolvConfPath: c.resolvConfPath,
    HostnamePath: c.hostnamePath,
    HostsPath: c.hostsPath,
    LogPath: c.logPath,
    Name: `/${c.name}`,
    RestartCount: c.restartCount,
    Driver: "overlay2",
    Platform: "linux",
    MountLabel: "",
    ProcessLabel: "",
    AppArmorProfile: "",
    ExecIDs: extra.execIds?.length ? extra.execIds : null,
    HostConfig: {
      Binds: null,
      ContainerIDFile: "",
      LogConfig: { Type: DEFAULT_LOG_DRIVER, Config: {} },
      NetworkMode: "default",
      PortBindings: {},
      RestartPolicy: { Name: "no", MaximumRetryCount: 0 },
      AutoRemove: false,
      VolumeDriver: "",
      VolumesFrom: null,
      CapAdd: null,
      CapDrop: null,
      Dns: [],
      DnsOptions: [],
      DnsSearch: [],
      ExtraHosts: null,
      GroupAdd: null,
      IpcMode: "private",
      Cgroup: "",
      Links: null,
      OomScoreAdj: 0,
      PidMode: "",
      Privileged: false,
      PublishAllPorts: false,
      ReadonlyRootfs: false,
      SecurityOpt: null,
      UTSMode: "",
      UsernsMode: "",
      ShmSize: 67108864,
      Runtime: c.runtime,
      Isolation: "",
      CpuShares: 0,
      Memory: 0,
      NanoCpus: 0,
      CgroupParent: "",
      BlkioWeight: 0,
      CpuPeriod: 0,
      CpuQuota: 0,
      CpusetCpus: "",
      CpusetMems: "",
      MemoryReservation: 0,
      MemorySwap: 0,
      PidsLimit: null,
      Ulimits: null,
      Init: null,
      ...withDaemonDefaults(c.hostConfig, extra.daemon),
    },
    GraphDriver: { Data: extra.graphDriver, Name: "overlay2" },
    ...(extra.sizes ?? {}),
    Mounts: (c.mountPoints ?? []).map((m) => mountPointView(m)),
    Config: {
      ...c.config,
      Cmd: c.config.Cmd ?? null,
      Entrypoint: c.config.Entrypoint ?? null,
      Image: c.config.Image,
      Labels: c.config.Labels ?? {},
      // moby's Config.ExposedPorts is omitempty.
      ExposedPorts: isEmpty(c.config.ExposedPorts) ? undefined : c.config.ExposedPorts,
    },
    NetworkSettings: {
      Bridge: "",
      SandboxID: "",
      HairpinMode: false,
      LinkLocalIPv6Address: "",
      LinkLocalIPv6PrefixLen: 0,
      Ports: extra.network.containerPorts(c),
      SandboxKey: extra.network.sandboxKey(c),
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: primary?.id ?? "",
      Gateway: primary ? gatewayOf(primary) : "",
      GlobalIPv6Address: "",
      GlobalIPv6PrefixLen: 0,
      IPAddress: primary?.ipv4 ?? "",
      IPPrefixLen: primary?.prefixLen ?? 0,
      IPv6Gateway: "",
      MacAddress: primary?.mac ?? "",
      Networks: extra.network.containerNetworks(c),
    },
  };
}

/** The daemon settings behind HostConfig fields a client may leave empty. */
export interface DaemonHostDefaults {
  shmSize: number;
  cgroupVersion: 1 | 2;
}

/**
 * HostConfig as Docker reports it: the values moby fills in at create when the client left them
 * empty or zero (the docker CLI sends "" and 0), so `{{.HostConfig.ShmSize}}` shows the size the
 * container really got.
 */
export function withDaemonDefaults(hc: HostConfig, d: DaemonHostDefaults): Record<string, unknown> {
  const out: Record<string, unknown> = { ...hc };
  if (!hc.IpcMode) out.IpcMode = "private";
  if (!hc.ShmSize) out.ShmSize = d.shmSize;
  // The runtime spec gives a cgroup namespace on v2 only, as Docker's default cgroupns mode does.
  if (!hc.CgroupnsMode) out.CgroupnsMode = d.cgroupVersion === 2 ? "private" : "host";
  if (!hc.LogConfig?.Type) out.LogConfig = { Type: DEFAULT_LOG_DRIVER, Config: hc.LogConfig?.Config ?? {} };
  if (typeof hc.PidsLimit === "number" && hc.PidsLimit <= 0) out.PidsLimit = null;
  if (hc.MemorySwappiness === -1) out.MemorySwappiness = null;
  if (!hc.Privileged) {
    out.MaskedPaths = hc.MaskedPaths ?? [...DEFAULT_MASKED_PATHS];
    out.ReadonlyPaths = hc.ReadonlyPaths ?? [...DEFAULT_READONLY_PATHS];
  }
  return out;
}

function isEmpty(map: object | null | undefined): boolean {
  return !map || Object.keys(map).length === 0;
}
