// /version and /info figures, gathered from the services and the host.
import type { CgroupLayout, HostFacts } from "../platform/host.ts";
import type { ContainerService } from "./containers/service.ts";
import type { ImageService } from "./images/service.ts";
import type { Runtimes } from "./runtime/runtimes.ts";

export const wharfVersion = "0.1.0";

export interface SystemDeps {
  containers: ContainerService;
  images: ImageService;
  runtimes: Runtimes;
  host: HostFacts;
  cgroup: CgroupLayout;
  dataRoot: string;
  daemonId: string;
  hostname: string;
}

export class SystemService {
  private readonly d: SystemDeps;

  constructor(deps: SystemDeps) {
    this.d = deps;
  }

  version(apiVersion: string, minApiVersion: string): Record<string, unknown> {
    const h = this.d.host;
    const arch = process.arch === "x64" ? "amd64" : process.arch;
    return {
      Platform: { Name: "wharf" },
      Components: [
        {
          Name: "Engine",
          Version: wharfVersion,
          Details: {
            ApiVersion: apiVersion,
            Arch: arch,
            BuildTime: "",
            Experimental: "false",
            GitCommit: "",
            GoVersion: `node ${process.version}`,
            KernelVersion: h.kernelVersion,
            MinAPIVersion: minApiVersion,
            Os: "linux",
          },
        },
        ...this.d.runtimes
          .names()
          .map((name) => ({ Name: name, Version: "", Details: { path: this.d.runtimes.path(name) } })),
      ],
      Version: wharfVersion,
      ApiVersion: apiVersion,
      MinAPIVersion: minApiVersion,
      GitCommit: "",
      GoVersion: `node ${process.version}`,
      Os: "linux",
      Arch: arch,
      KernelVersion: h.kernelVersion,
      BuildTime: "",
    };
  }

  info(): Record<string, unknown> {
    const counts = this.d.containers.counts();
    const h = this.d.host;
    const runtimes = Object.fromEntries(
      this.d.runtimes.names().map((n) => [n, { path: this.d.runtimes.path(n) }]),
    );
    return {
      ID: this.d.daemonId,
      Containers: counts.running + counts.paused + counts.stopped,
      ContainersRunning: counts.running,
      ContainersPaused: counts.paused,
      ContainersStopped: counts.stopped,
      Images: this.d.images.count(),
      Driver: "overlay2",
      DriverStatus: [
        ["Backing Filesystem", "extfs"],
        ["Supports d_type", "true"],
        ["Native Overlay Diff", "true"],
      ],
      Plugins: {
        Volume: ["local"],
        Network: ["host", "null"],
        Authorization: null,
        Log: ["k8s-file"],
      },
      MemoryLimit: true,
      SwapLimit: this.d.cgroup.version === 2,
      KernelMemory: false,
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      CPUShares: true,
      CPUSet: true,
      PidsLimit: true,
      IPv4Forwarding: true,
      BridgeNfIptables: false,
      BridgeNfIp6tables: false,
      Debug: false,
      NFd: 0,
      OomKillDisable: this.d.cgroup.version === 1,
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: "k8s-file",
      CgroupDriver: "cgroupfs",
      CgroupVersion: String(this.d.cgroup.version),
      NEventsListener: 0,
      KernelVersion: h.kernelVersion,
      OperatingSystem: h.operatingSystem,
      OSVersion: "",
      OSType: "linux",
      Architecture: process.arch === "x64" ? "x86_64" : process.arch,
      IndexServerAddress: "https://index.docker.io/v1/",
      RegistryConfig: {
        AllowNondistributableArtifactsCIDRs: [],
        AllowNondistributableArtifactsHostnames: [],
        InsecureRegistryCIDRs: ["127.0.0.0/8"],
        IndexConfigs: {},
        Mirrors: [],
      },
      NCPU: h.ncpu,
      MemTotal: h.memTotal,
      GenericResources: null,
      DockerRootDir: this.d.dataRoot,
      HttpProxy: "",
      HttpsProxy: "",
      NoProxy: "",
      Name: this.d.hostname,
      Labels: [],
      ExperimentalBuild: false,
      ServerVersion: wharfVersion,
      Runtimes: runtimes,
      DefaultRuntime: this.d.runtimes.defaultName,
      Swarm: {
        NodeID: "",
        NodeAddr: "",
        LocalNodeState: "inactive",
        ControlAvailable: false,
        Error: "",
        RemoteManagers: null,
      },
      LiveRestoreEnabled: true,
      Isolation: "",
      InitBinary: "tini",
      ContainerdCommit: { ID: "", Expected: "" },
      RuncCommit: { ID: "", Expected: "" },
      InitCommit: { ID: "", Expected: "" },
      SecurityOptions:
        this.d.cgroup.version === 2
          ? ["name=seccomp,profile=unconfined", "name=cgroupns"]
          : ["name=seccomp,profile=unconfined"],
      Warnings: [],
    };
  }
}
