// /version and /info figures, gathered from the services and the host.
import type { CgroupLayout, HostFacts } from "../platform/host.ts";
import {
  backingFilesystem,
  openFds,
  sysctlOn,
  type ToolVersion,
  toolVersion,
} from "../platform/host-status.ts";
import { DEFAULT_LOG_DRIVER, LOG_DRIVER_NAMES } from "./containers/log-driver.ts";
import type { ContainerService } from "./containers/service.ts";
import type { EventBus } from "./events/bus.ts";
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
  events: EventBus;
  /** The init binary `--init` runs (tini), for InitCommit. */
  initPath: string;
  /** daemon.json's log-driver. */
  logDriver?: string;
  /** daemon.json's insecure-registries and registry-mirrors, as /info reports them. */
  insecureRegistries: string[];
  registryMirrors: string[];
  defaultAddressPools: Array<{ base: string; size: number }>;
}

const noVersion: ToolVersion = { version: "", commit: "" };

export class SystemService {
  private readonly d: SystemDeps;
  /** `runc --version` and friends, asked once on first use (not at daemon start). */
  private tools?: Promise<Map<string, ToolVersion>>;

  constructor(deps: SystemDeps) {
    this.d = deps;
  }

  private toolVersions(): Promise<Map<string, ToolVersion>> {
    this.tools ??= (async () => {
      const paths = new Map<string, string>();
      for (const name of this.d.runtimes.names()) {
        const path = this.d.runtimes.path(name);
        if (path) paths.set(name, path);
      }
      paths.set("init", this.d.initPath);
      const entries = await Promise.all(
        [...paths].map(async ([name, path]) => [name, await toolVersion(path)] as const),
      );
      return new Map(entries);
    })();
    return this.tools;
  }

  async version(apiVersion: string, minApiVersion: string): Promise<Record<string, unknown>> {
    const tools = await this.toolVersions();
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
        ...this.d.runtimes.names().map((name) => {
          const v = tools.get(name) ?? noVersion;
          return {
            Name: name,
            Version: v.version,
            Details: { GitCommit: v.commit, path: this.d.runtimes.path(name) },
          };
        }),
        ...(tools.get("init")?.version
          ? [
              {
                Name: "docker-init",
                Version: tools.get("init")?.version,
                Details: { GitCommit: tools.get("init")?.commit },
              },
            ]
          : []),
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

  async info(): Promise<Record<string, unknown>> {
    const tools = await this.toolVersions();
    const runc = tools.get(this.d.runtimes.defaultName) ?? noVersion;
    const init = tools.get("init") ?? noVersion;
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
        ["Backing Filesystem", backingFilesystem(this.d.dataRoot)],
        ["Supports d_type", "true"],
        ["Native Overlay Diff", "true"],
      ],
      Plugins: {
        Volume: ["local"],
        Network: ["bridge", "host", "null"],
        Authorization: null,
        Log: [...LOG_DRIVER_NAMES],
      },
      MemoryLimit: true,
      SwapLimit: this.d.cgroup.version === 2,
      KernelMemory: false,
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      CPUShares: true,
      CPUSet: true,
      PidsLimit: true,
      IPv4Forwarding: sysctlOn("net.ipv4.ip_forward"),
      BridgeNfIptables: sysctlOn("net.bridge.bridge-nf-call-iptables"),
      BridgeNfIp6tables: sysctlOn("net.bridge.bridge-nf-call-ip6tables"),
      Debug: false,
      NFd: openFds(),
      OomKillDisable: this.d.cgroup.version === 1,
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: this.d.logDriver ?? DEFAULT_LOG_DRIVER,
      CgroupDriver: "cgroupfs",
      CgroupVersion: String(this.d.cgroup.version),
      NEventsListener: this.d.events.clientCount,
      KernelVersion: h.kernelVersion,
      OperatingSystem: h.operatingSystem,
      OSVersion: "",
      OSType: "linux",
      Architecture: process.arch === "x64" ? "x86_64" : process.arch,
      IndexServerAddress: "https://index.docker.io/v1/",
      RegistryConfig: registryConfig(this.d.insecureRegistries, this.d.registryMirrors),
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
      RuncCommit: { ID: runc.commit, Expected: runc.commit },
      InitCommit: { ID: init.commit || init.version, Expected: init.commit || init.version },
      // Containers get wharf's built-in profile (engine/runtime/seccomp.ts), as Docker's "builtin".
      SecurityOptions:
        this.d.cgroup.version === 2
          ? ["name=seccomp,profile=builtin", "name=cgroupns"]
          : ["name=seccomp,profile=builtin"],
      DefaultAddressPools: this.d.defaultAddressPools.map((p) => ({ Base: p.base, Size: p.size })),
      Warnings: [],
    };
  }
}

/**
 * Docker's RegistryConfig: CIDRs of insecure-registries (always with 127.0.0.0/8), host names
 * of the others as insecure index configs, docker.io as the official index with its mirrors.
 */
export function registryConfig(insecure: string[], mirrors: string[]): Record<string, unknown> {
  const cidrs = ["127.0.0.0/8"];
  const indexConfigs: Record<string, unknown> = {};
  for (const entry of insecure) {
    if (/^[\d.]+\/\d+$|^[0-9a-f:]+\/\d+$/i.test(entry)) {
      if (!cidrs.includes(entry)) cidrs.push(entry);
    } else indexConfigs[entry] = { Name: entry, Mirrors: [], Secure: false, Official: false };
  }
  const normalized = mirrors.map((m) => (m.endsWith("/") ? m : `${m}/`));
  indexConfigs["docker.io"] = { Name: "docker.io", Mirrors: normalized, Secure: true, Official: true };
  return {
    AllowNondistributableArtifactsCIDRs: [],
    AllowNondistributableArtifactsHostnames: [],
    InsecureRegistryCIDRs: cidrs,
    IndexConfigs: indexConfigs,
    Mirrors: normalized,
  };
}
