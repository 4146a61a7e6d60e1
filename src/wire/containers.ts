// Docker Engine API wire shapes for containers (moby api/swagger.yaml), the fields wharf reads
// or writes. Unknown fields sent by newer clients are kept and ignored.

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
  StartInterval?: number;
}

export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Healthcheck?: HealthConfig | null;
  Image?: string;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  OnBuild?: string[] | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  StopTimeout?: number | null;
  [key: string]: unknown;
}

export interface RestartPolicy {
  Name?: "" | "no" | "always" | "unless-stopped" | "on-failure";
  MaximumRetryCount?: number;
}

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

export interface HostConfig {
  Binds?: string[] | null;
  NetworkMode?: string;
  RestartPolicy?: RestartPolicy;
  AutoRemove?: boolean;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  Dns?: string[] | null;
  DnsOptions?: string[] | null;
  DnsSearch?: string[] | null;
  ExtraHosts?: string[] | null;
  Privileged?: boolean;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[] | null;
  Tmpfs?: Record<string, string> | null;
  /** Driver of the volumes Binds and image VOLUMEs create (--volume-driver). */
  VolumeDriver?: string;
  ShmSize?: number;
  Sysctls?: Record<string, string> | null;
  Runtime?: string;
  Init?: boolean | null;
  CpuShares?: number;
  Memory?: number;
  MemoryReservation?: number;
  MemorySwap?: number;
  NanoCpus?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  PidsLimit?: number | null;
  BlkioWeight?: number;
  BlkioWeightDevice?: Array<{ Path?: string; Weight?: number }> | null;
  BlkioDeviceReadBps?: ThrottleDevice[] | null;
  BlkioDeviceWriteBps?: ThrottleDevice[] | null;
  BlkioDeviceReadIOps?: ThrottleDevice[] | null;
  BlkioDeviceWriteIOps?: ThrottleDevice[] | null;
  Devices?: DeviceMapping[] | null;
  DeviceCgroupRules?: string[] | null;
  GroupAdd?: string[] | null;
  /** "private" or "host"; empty: the daemon's default (private on cgroup v2, host on v1). */
  CgroupnsMode?: string;
  /** The cgroup the container's goes under (cgroupfs driver: a path), instead of /wharf. */
  CgroupParent?: string;
  OomKillDisable?: boolean | null;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  /** Deprecated by Docker: accepted with a warning, not applied. */
  KernelMemory?: number;
  /** --gpus: no device driver here, so any request is refused as Docker refuses it without one. */
  DeviceRequests?: Array<{ Driver?: string; Count?: number; Capabilities?: string[][] | null }> | null;
  /** 0–100; -1 or unset: the kernel's default. */
  MemorySwappiness?: number | null;
  StorageOpt?: Record<string, string> | null;
  OomScoreAdj?: number;
  Ulimits?: Ulimit[] | null;
  LogConfig?: { Type?: string; Config?: Record<string, string> };
  PidMode?: string;
  IpcMode?: string;
  UTSMode?: string;
  [key: string]: unknown;
}

/** --device: a host device node (or a directory of them) given to the container. */
export interface DeviceMapping {
  PathOnHost?: string;
  PathInContainer?: string;
  CgroupPermissions?: string;
}

/** --device-read-bps and friends: a limit for one block device. */
export interface ThrottleDevice {
  Path?: string;
  Rate?: number;
}

export interface ContainerCreateRequest extends ContainerConfig {
  HostConfig?: HostConfig;
  NetworkingConfig?: { EndpointsConfig?: Record<string, unknown> };
}

export interface ContainerState {
  Status: "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  Ports: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }>;
  SizeRw?: number;
  SizeRootFs?: number;
  Labels: Record<string, string>;
  State: string;
  Status: string;
  HostConfig: { NetworkMode: string };
  NetworkSettings: { Networks: Record<string, unknown> };
  Mounts: unknown[];
}

export interface WaitResponse {
  StatusCode: number;
  Error: { Message: string } | null;
}
