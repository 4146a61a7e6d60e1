// NetworkService: Docker's networks over CNI. Owns the network records (bridge, host, none and
// user-defined bridges), IP allocation (an endpoint row per running attachment), each running
// container's network namespace and its CNI attachments, published ports, /etc/hosts and
// resolv.conf, and the embedded DNS of user-defined networks.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type CniChain, cniAdd, cniDel } from "../../platform/cni.ts";
import {
  createNetns,
  deleteLink,
  ensureAddress6,
  ensureBridge,
  hostAddresses,
  hostRoutes,
  netnsExists,
  removeNetns,
  runInNetns,
  setSysctl,
} from "../../platform/netns.ts";
import { type Filters, matchAny, matchLabels } from "../../util/filters.ts";
import { newId } from "../../util/ids.ts";
import { log } from "../../util/log.ts";
import type { HostConfig } from "../../wire/containers.ts";
import type { EndpointSettings, NetworkCreateRequest } from "../../wire/networks.ts";
import { ConflictError, EngineError, InvalidParameterError, NotFoundError } from "../errors.ts";
import type { EventBus } from "../events/bus.ts";
import { buildHostsFile, buildResolvConf, EtcFileInputError, parseResolvConf } from "../runtime/etc-files.ts";
import type { NetworkNamespaceMode } from "../runtime/spec.ts";
import { endpointChain } from "./cni-chain.ts";
import { EmbeddedDns } from "./dns.ts";
import { Firewall, type FirewallNetwork } from "./firewall.ts";
import {
  type AddressPool,
  allocate,
  allocate6,
  type Cidr,
  contains,
  contains6,
  formatCidr,
  formatCidr6,
  formatIPv4,
  formatIPv6,
  macFromIPv4,
  overlaps,
  parseCidr,
  parseIPv4,
  parseIPv6,
  parseIpWithPrefix,
  pickSubnet,
} from "./ipam.ts";
import { ipv4Config, ipv4Request, ipv6Config, withIPv6 } from "./ipam-config.ts";
import { checkNetworkModeConflicts, type RequestedConfig } from "./mode-checks.ts";
import { removeIdlePortmapChains, withPortmapLock } from "./portmap-chains.ts";
import { PortConflictError, PortReservations, portRequests } from "./ports.ts";
import type { EndpointRecord, IpamConfigEntry, NetworkRecord, NetworkStore, PortMapping } from "./store.ts";
import { endpointView, networkView } from "./views.ts";

export interface NetworkConfig {
  /** Bridge device of the default network. */
  bridge: string;
  /** Gateway address and prefix of the default bridge, e.g. "10.209.0.1/24". */
  bip?: string;
  defaultAddressPools: AddressPool[];
  iptables: boolean;
  ipForward: boolean;
  mtu: number;
  /** Network namespaces are pinned under here. */
  netnsDir: string;
}

/** What the network service needs of a container record (structurally a ContainerRecord). */
export interface NetworkedContainer {
  id: string;
  name: string;
  config: {
    Hostname?: string;
    Domainname?: string;
    ExposedPorts?: Record<string, object> | null;
    MacAddress?: string;
    /** docker-py's network_disabled: only a loopback, whatever NetworkMode says. */
    NetworkDisabled?: boolean;
  };
  hostConfig: HostConfig;
  networkingConfig: { EndpointsConfig?: Record<string, unknown> };
  state: { Running: boolean; Pid: number };
  hostsPath: string;
  resolvConfPath: string;
}

export interface ContainerAccess {
  get(ref: string): NetworkedContainer;
  find(id: string): NetworkedContainer | undefined;
  save(c: NetworkedContainer): void;
}

export interface PreparedNetwork {
  namespace: NetworkNamespaceMode;
  /** Resolves once the namespace and its interfaces are ready (runs beside the bundle write). */
  ready: Promise<void>;
}

const BRIDGE_NAME_OPT = "com.docker.network.bridge.name";
const MTU_OPT = "com.docker.network.driver.mtu";
const PREDEFINED = ["bridge", "host", "none"];

export class NetworkService {
  private readonly store: NetworkStore;
  private readonly cfg: NetworkConfig;
  private readonly containers: ContainerAccess;
  private readonly events: EventBus;
  private readonly ports = new PortReservations();
  private readonly dns: EmbeddedDns;
  private readonly firewall: Firewall;
  /** Per container: where its embedded DNS forwards other names. */
  private readonly upstreams = new Map<string, string[]>();
  private hostUpstreams: string[] = [];
  /** Serialises IP/subnet allocation and network changes. */
  private lock: Promise<unknown> = Promise.resolve();

  constructor(opts: {
    store: NetworkStore;
    config: NetworkConfig;
    containers: ContainerAccess;
    events: EventBus;
  }) {
    this.store = opts.store;
    this.cfg = opts.config;
    this.containers = opts.containers;
    this.events = opts.events;
    this.firewall = new Firewall(opts.config.bridge);
    this.dns = new EmbeddedDns({
      lookup: (networkId, clientIp, name) => this.dnsLookup(networkId, clientIp, name),
      upstreams: (clientIp) => this.upstreamsFor(clientIp),
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.lock.then(fn, fn);
    this.lock = next.catch(() => undefined);
    return next;
  }

  // ---- daemon start --------------------------------------------------------------------------

  /** Predefined networks, forwarding, firewall chains, bridges, DNS; then what survived a restart. */
  async init(running: (id: string) => boolean): Promise<void> {
    const hostRc = await readFile("/etc/resolv.conf", "utf8").catch(() => "");
    this.hostUpstreams = parseResolvConf(hostRc).nameservers;
    if (this.cfg.ipForward)
      await setSysctl("net.ipv4.ip_forward", "1").catch((err: Error) =>
        log.warn("cannot enable ip_forward", { err }),
      );
    if (this.cfg.iptables) await this.firewall.ensureChains();
    await this.ensurePredefined();
    for (const n of this.store.allNetworks()) {
      if (n.driver !== "bridge") continue;
      await this.setupBridge(n).catch((err: Error) =>
        log.error("network setup failed", { network: n.name, err }),
      );
      // A daemon starting at the same moment may have picked the same free subnet.
      for (let i = 0; n.isDefault && !this.cfg.bip && i < 5 && (await this.subnetContested(n)); i++) {
        await this.destroyBridge(n);
        await new Promise((r) => setTimeout(r, Math.random() * 200));
        const subnet = pickSubnet(this.cfg.defaultAddressPools, await this.usedSubnets(n.id));
        if (!subnet) break;
        n.ipamConfig = [{ Subnet: formatCidr(subnet), Gateway: formatIPv4(subnet.base + 1) }];
        this.store.saveNetwork(n);
        await this.setupBridge(n);
      }
    }
    for (const c of new Set(this.store.allEndpoints().map((e) => e.containerId))) {
      if (running(c)) {
        const mappings = this.store
          .endpointsOf(c)
          .flatMap((e) => e.ports.map((m) => ({ ...m, containerIp: e.ipv4 })));
        const errors = await this.ports.restore(c, mappings);
        for (const e of errors) log.warn("cannot hold published port again", { container: c, port: e });
        const rec = this.containers.find(c);
        if (rec) this.upstreams.set(c, this.containerUpstreams(rec));
      } else {
        await this.teardown(c);
      }
    }
  }

  close(): void {
    this.dns.closeAll();
  }

  /**
   * Clean daemon stop. With no endpoint left nothing needs this daemon's rules until it starts
   * again (init adds them back), so its networks' rules, its chains and the jumps into them
   * go; running containers keep everything. CNI portmap's shared chains go once empty.
   */
  shutdown(): Promise<void> {
    return this.serial(async () => {
      if (!this.cfg.iptables) return;
      // Every network rule lives in this daemon's own chains: flushing them removes it.
      if (this.store.allEndpoints().length === 0) await this.firewall.removeChains();
      await removeIdlePortmapChains();
    });
  }

  private async ensurePredefined(): Promise<void> {
    const byName = (name: string) => this.store.allNetworks().find((n) => n.name === name);
    for (const [name, driver] of [
      ["host", "host"],
      ["none", "null"],
    ] as const) {
      if (!byName(name)) this.store.insertNetwork(this.newRecord(name, driver, {}));
    }
    const existing = byName("bridge");
    const wanted = await this.defaultBridgeConfig(existing);
    if (existing) {
      const before = JSON.stringify([existing.bridge, existing.ipamConfig]);
      existing.bridge = this.cfg.bridge;
      existing.ipamConfig = [wanted];
      existing.mtu = this.cfg.mtu;
      existing.options = defaultBridgeOptions(this.cfg.bridge, this.cfg.mtu);
      if (before !== JSON.stringify([existing.bridge, existing.ipamConfig]) && this.cfg.iptables) {
        // The old bridge's rules name the old device/subnet: take exactly those out.
        const old = JSON.parse(before) as [string, IpamConfigEntry[]];
        await new Firewall(old[0]).removeNetworkRules({
          bridge: old[0],
          subnet: old[1][0]?.Subnet ?? "",
          internal: existing.internal,
        });
      }
      this.store.saveNetwork(existing);
    } else {
      const rec = this.newRecord("bridge", "bridge", { ipamConfig: [wanted] });
      rec.bridge = this.cfg.bridge;
      rec.mtu = this.cfg.mtu;
      rec.isDefault = true;
      rec.options = defaultBridgeOptions(this.cfg.bridge, this.cfg.mtu);
      this.store.insertNetwork(rec);
    }
  }

  /** --bip, else the subnet the bridge already has, else the first free pool subnet. */
  private async defaultBridgeConfig(existing: NetworkRecord | undefined): Promise<IpamConfigEntry> {
    if (this.cfg.bip) {
      const bip = parseIpWithPrefix(this.cfg.bip);
      if (!bip) throw new EngineError(`invalid --bip: ${this.cfg.bip}`);
      return { Subnet: formatCidr(bip.cidr), Gateway: formatIPv4(bip.ip) };
    }
    const onDevice = (await hostAddresses()).find((a) => a.dev === this.cfg.bridge);
    if (onDevice) {
      const p = parseIpWithPrefix(onDevice.cidr);
      if (p) return { Subnet: formatCidr(p.cidr), Gateway: formatIPv4(p.ip) };
    }
    const prev = existing?.ipamConfig[0];
    if (prev?.Subnet && existing?.bridge === this.cfg.bridge) {
      const cidr = parseCidr(prev.Subnet);
      const used = await this.usedSubnets(existing.id);
      if (cidr && !used.some((u) => overlaps(u, cidr))) return prev;
    }
    const subnet = pickSubnet(this.cfg.defaultAddressPools, await this.usedSubnets());
    if (!subnet)
      throw new EngineError(
        "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network",
      );
    return { Subnet: formatCidr(subnet), Gateway: formatIPv4(subnet.base + 1) };
  }

  /** Whether a device other than the network's bridge routes an overlapping subnet. */
  private async subnetContested(n: NetworkRecord): Promise<boolean> {
    const { subnet } = ipv4Config(n);
    return (await hostRoutes()).some((r) => {
      const c = parseCidr(r.dst);
      return r.dev !== n.bridge && c !== undefined && c.prefix > 0 && overlaps(c, subnet);
    });
  }

  /** Subnets in use: host routes and addresses, and wharf's networks (except `except`). */
  private async usedSubnets(except?: string): Promise<Cidr[]> {
    const own = new Set(
      this.store
        .allNetworks()
        .filter((n) => n.id === except)
        .map((n) => n.bridge),
    );
    const used: Cidr[] = [];
    for (const r of await hostRoutes()) if (!own.has(r.dev)) pushCidr(used, r.dst);
    for (const a of await hostAddresses()) if (!own.has(a.dev)) pushCidr(used, a.cidr);
    for (const n of this.store.allNetworks()) {
      if (n.id === except) continue;
      for (const c of n.ipamConfig) if (c.Subnet) pushCidr(used, c.Subnet);
    }
    return used;
  }

  private newRecord(
    name: string,
    driver: NetworkRecord["driver"],
    over: Partial<NetworkRecord>,
  ): NetworkRecord {
    return {
      id: newId(),
      name,
      created: new Date().toISOString(),
      driver,
      enableIPv6: false,
      internal: false,
      attachable: false,
      ipamDriver: "default",
      ipamOptions: null,
      ipamConfig: [],
      options: {},
      labels: {},
      bridge: "",
      mtu: this.cfg.mtu,
      isDefault: false,
      userSubnet: false,
      ...over,
    };
  }

  /** Bridge device with its gateway address, firewall rules, and (user networks) DNS. */
  private async setupBridge(n: NetworkRecord): Promise<void> {
    const { subnet, gateway } = ipv4Config(n);
    await ensureBridge(n.bridge, `${formatIPv4(gateway)}/${subnet.prefix}`, n.mtu);
    const v6 = ipv6Config(n);
    if (v6) await ensureAddress6(n.bridge, `${formatIPv6(v6.gateway)}/${v6.subnet.prefix}`);
    if (v6 && this.cfg.ipForward) {
      // As Docker: IPv6 networks route through the host (isolation is up to the rules below).
      await setSysctl("net.ipv6.conf.all.forwarding", "1").catch((err: Error) =>
        log.warn("cannot enable IPv6 forwarding", { err }),
      );
    }
    const rules = this.firewallNetwork(n);
    if (this.cfg.iptables && rules) await this.firewall.addNetworkRules(rules);
    if (!n.isDefault) {
      // Without its DNS server a network still works by address: warn instead of failing.
      await this.dns
        .listen(n.id, formatIPv4(gateway))
        .catch((err: Error) => log.warn("embedded DNS cannot listen", { network: n.name, err }));
    }
  }

  private async destroyBridge(n: NetworkRecord): Promise<void> {
    this.dns.close(n.id);
    const rules = this.firewallNetwork(n);
    if (this.cfg.iptables && rules) await this.firewall.removeNetworkRules(rules);
    await deleteLink(n.bridge);
  }

  /** What the firewall needs of a bridge network (none without an IPv4 subnet). */
  private firewallNetwork(n: NetworkRecord): FirewallNetwork | undefined {
    const v4 = n.ipamConfig.find((c) => c.Subnet && !c.Subnet.includes(":"))?.Subnet;
    const subnet = v4 ? parseCidr(v4) : undefined;
    if (!subnet) return undefined;
    const v6 = ipv6Config(n);
    return {
      bridge: n.bridge,
      subnet: formatCidr(subnet),
      subnet6: v6 ? formatCidr6(v6.subnet) : undefined,
      internal: n.internal,
    };
  }

  /** CNI ADD; with published ports under the host's portmap lock (see portmap-chains.ts). */
  private addEndpoint(chain: CniChain, args: { containerId: string; netns: string; ifname: string }) {
    if (!chain.plugins.some((p) => p.type === "portmap")) return cniAdd(chain, args);
    return withPortmapLock(() => cniAdd(chain, args));
  }

  // ---- lookups -------------------------------------------------------------------------------

  /** Docker's order: full ID, exact name, then unique ID prefix. */
  find(ref: string): NetworkRecord | undefined {
    const all = this.store.allNetworks();
    const exact = all.find((n) => n.id === ref) ?? all.find((n) => n.name === ref);
    if (exact) return exact;
    const prefixed = all.filter((n) => n.id.startsWith(ref));
    if (prefixed.length > 1)
      throw new InvalidParameterError(
        `network ${ref} is ambiguous (${prefixed.length} matches found based on ID prefix)`,
      );
    return prefixed[0];
  }

  get(ref: string): NetworkRecord {
    const n = this.find(ref);
    if (!n) throw new NotFoundError(`network ${ref} not found`);
    return n;
  }

  // ---- container create: which networks -------------------------------------------------------

  /** Validates NetworkMode and EndpointsConfig at container create; keys them by network name. */
  normalizeCreate(
    hc: HostConfig,
    nc: { EndpointsConfig?: Record<string, unknown> },
    requested: RequestedConfig = {},
  ): { EndpointsConfig: Record<string, EndpointSettings> } {
    const mode = hc.NetworkMode || "default";
    hc.NetworkMode = mode;
    const endpoints = (nc.EndpointsConfig ?? {}) as Record<string, EndpointSettings | null>;
    checkNetworkModeConflicts(mode, requested, hc, endpoints);
    // As Docker, the joined container is looked up at start: a 404 here would make the docker
    // CLI take it for a missing image and try to pull one.
    if (mode.startsWith("container:")) return { EndpointsConfig: {} };
    if (mode === "host" || mode === "none") {
      return { EndpointsConfig: {} };
    }
    const primaryName = mode === "default" ? "bridge" : mode;
    const primary = this.find(primaryName);
    // As Docker 20.10, an unknown network fails the start (404), not the create: a 404 from
    // create makes the docker CLI take it for a missing image and try to pull one.
    if (!primary) return { EndpointsConfig: { [primaryName]: {} } };
    if (primary.driver !== "bridge") return { EndpointsConfig: {} };
    const out: Record<string, EndpointSettings> = {};
    const entries = Object.entries(endpoints);
    if (!entries.some(([k]) => this.find(k)?.id === primary.id)) entries.unshift([primary.name, {}]);
    for (const [key, settings] of entries) {
      const n = key === "default" ? primary : this.get(key);
      if (n.driver !== "bridge") {
        throw new InvalidParameterError(
          `container cannot be connected to network endpoints: ${Object.keys(endpoints).join(", ")}`,
        );
      }
      this.checkEndpointSettings(n, settings ?? {});
      out[n.name] = normalizeSettings(settings ?? {});
    }
    for (const link of (hc.Links as string[] | null | undefined) ?? []) {
      const { name } = parseLink(String(link));
      if (!this.containers.find(name)) throw new NotFoundError(`could not get container for ${name}`);
    }
    return { EndpointsConfig: out };
  }

  private checkEndpointSettings(n: NetworkRecord, s: EndpointSettings): void {
    const ip = s.IPAMConfig?.IPv4Address;
    if (ip) {
      if (n.isDefault)
        throw new InvalidParameterError(
          "user specified IP address is supported on user defined networks only",
        );
      if (!n.userSubnet) {
        throw new InvalidParameterError(
          "user specified IP address is supported only when connecting to networks with user configured subnets",
        );
      }
      const addr = parseIPv4(ip);
      if (addr === undefined) throw new InvalidParameterError(`invalid IPv4 address: ${ip}`);
      const { subnet } = ipv4Config(n);
      if (!contains(subnet, addr)) {
        throw new InvalidParameterError(`no configured subnet or ip-range contain the IP address ${ip}`);
      }
    }
    if ((s.Aliases ?? []).length > 0 && n.isDefault) {
      throw new InvalidParameterError(
        "network-scoped alias is supported only for containers in user defined networks",
      );
    }
    if (s.MacAddress && !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(s.MacAddress)) {
      throw new InvalidParameterError(`invalid MAC address: ${s.MacAddress}`);
    }
  }

  // ---- container start / stop ------------------------------------------------------------------

  private netnsPath(id: string): string {
    return join(this.cfg.netnsDir, id);
  }

  /**
   * Before a start: allocates addresses and host ports, writes /etc/hosts and resolv.conf, and
   * begins creating the namespace and its interfaces (awaited through `ready`).
   */
  async prepare(c: NetworkedContainer): Promise<PreparedNetwork> {
    const mode = c.hostConfig.NetworkMode || "default";
    if (mode === "host") {
      await this.writeEtcFiles(c);
      return { namespace: { mode: "host" }, ready: Promise.resolve() };
    }
    if (mode === "none" || c.config.NetworkDisabled === true) {
      await this.writeEtcFiles(c);
      return { namespace: { mode: "none" }, ready: Promise.resolve() };
    }
    if (mode.startsWith("container:")) return this.prepareShared(c, mode.slice("container:".length));

    await this.teardown(c.id); // leftovers of a run that ended without cleanup
    const endpoints = await this.serial(async () => this.allocateEndpoints(c));
    try {
      const requests = portRequests(c.hostConfig, c.config.ExposedPorts);
      const gw = endpoints.find((e) => e.gateway !== "" && !this.store.network(e.networkId)?.internal);
      if (requests.length > 0 && gw) {
        try {
          gw.ports = await this.ports.reserve(c.id, requests, gw.ipv4);
        } catch (err) {
          if (err instanceof PortConflictError) {
            throw new EngineError(
              `driver failed programming external connectivity on endpoint ${c.name} (${gw.id}): ${err.message}`,
            );
          }
          throw err;
        }
        this.store.saveEndpoint(gw);
      }
      await this.writeEtcFiles(c);
    } catch (err) {
      await this.teardown(c.id);
      throw err;
    }
    const ready = this.attach(c.id, endpoints);
    ready.catch(() => undefined);
    return { namespace: { mode: "netns", path: this.netnsPath(c.id) }, ready };
  }

  private async prepareShared(c: NetworkedContainer, ref: string): Promise<PreparedNetwork> {
    const target = this.containers.get(ref);
    if (!target.state.Running) {
      throw new ConflictError(`cannot join network of a non running container: ${target.id}`);
    }
    const tmode = target.hostConfig.NetworkMode || "default";
    let namespace: NetworkNamespaceMode;
    if (tmode === "host") namespace = { mode: "host" };
    else if (netnsExists(this.netnsPath(target.id)))
      namespace = { mode: "netns", path: this.netnsPath(target.id) };
    else namespace = { mode: "netns", path: `/proc/${target.state.Pid}/ns/net` };
    // As Docker: the joined container's hostname, names and resolvers apply here too.
    c.config.Hostname = target.config.Hostname;
    c.config.Domainname = target.config.Domainname;
    for (const [from, to] of [
      [target.hostsPath, c.hostsPath],
      [target.resolvConfPath, c.resolvConfPath],
    ] as const) {
      await writeFile(to, await readFile(from, "utf8").catch(() => ""));
    }
    return { namespace, ready: Promise.resolve() };
  }

  /** Endpoint rows (IP leases) for every network in the container's EndpointsConfig. */
  private allocateEndpoints(c: NetworkedContainer): EndpointRecord[] {
    const wanted = Object.entries(
      (c.networkingConfig.EndpointsConfig ?? {}) as Record<string, EndpointSettings>,
    ).map(([name, settings]) => [name === "default" ? "bridge" : name, settings] as const);
    // Records made before networking existed may have no EndpointsConfig: their NetworkMode's
    // network. (An empty one is a container disconnected from everything.)
    if (c.networkingConfig.EndpointsConfig === undefined) {
      const mode = c.hostConfig.NetworkMode || "default";
      wanted.push([mode === "default" ? "bridge" : mode, {}]);
    }
    return this.store.transaction(() => {
      const out: EndpointRecord[] = [];
      let haveGateway = false;
      for (const [name, settings] of wanted) {
        const n = this.find(name);
        if (!n) throw new NotFoundError(`network ${name} not found`);
        if (n.driver !== "bridge") continue;
        const ep = this.newEndpoint(c, n, settings ?? {}, `eth${out.length}`, !haveGateway && !n.internal);
        if (ep.gateway !== "" && !n.internal) haveGateway = true;
        this.store.insertEndpoint(ep);
        out.push(ep);
      }
      return out;
    });
  }

  private newEndpoint(
    c: NetworkedContainer,
    n: NetworkRecord,
    s: EndpointSettings,
    ifname: string,
    defaultRoute: boolean,
  ): EndpointRecord {
    const { subnet, gateway, range, reserved } = ipv4Config(n);
    const inUse = new Set(
      this.store
        .endpointsOn(n.id)
        .map((e) => parseIPv4(e.ipv4))
        .filter((x): x is number => x !== undefined),
    );
    let ip: number | undefined;
    const want = s.IPAMConfig?.IPv4Address;
    if (want) {
      ip = parseIPv4(want);
      if (ip === undefined || !contains(subnet, ip)) {
        throw new InvalidParameterError(`no configured subnet or ip-range contain the IP address ${want}`);
      }
      if (inUse.has(ip) || ip === gateway || reserved.includes(ip)) {
        throw new ConflictError(`Address already in use`);
      }
    } else {
      ip = allocate({ subnet, range, gateway, reserved }, inUse);
      if (ip === undefined)
        throw new EngineError(
          `no available IPv4 addresses on this network's address pools: ${n.name} (${n.id})`,
        );
    }
    const mac = s.MacAddress || (ifname === "eth0" ? c.config.MacAddress : "") || macFromIPv4(ip);
    const v6 = ipv6Config(n);
    let ip6: bigint | undefined;
    if (v6) {
      const used6 = new Set(
        this.store
          .endpointsOn(n.id)
          .map((e) => (e.ipv6 ? parseIPv6(e.ipv6) : undefined))
          .filter((x): x is bigint => x !== undefined),
      );
      const want6 = s.IPAMConfig?.IPv6Address;
      if (want6) {
        ip6 = parseIPv6(want6);
        if (ip6 === undefined || !contains6(v6.subnet, ip6)) {
          throw new InvalidParameterError(`no configured subnet or ip-range contain the IP address ${want6}`);
        }
        if (used6.has(ip6) || ip6 === v6.gateway) throw new ConflictError("Address already in use");
      } else {
        ip6 = allocate6(v6.subnet, v6.gateway, used6);
        if (ip6 === undefined) throw new EngineError(`no available IPv6 addresses on network ${n.name}`);
      }
    }
    return {
      id: newId(),
      networkId: n.id,
      containerId: c.id,
      ifname,
      mac: mac.toLowerCase(),
      ipv4: formatIPv4(ip),
      prefixLen: subnet.prefix,
      gateway: defaultRoute ? formatIPv4(gateway) : "",
      ...(v6 && ip6 !== undefined
        ? {
            ipv6: formatIPv6(ip6),
            ipv6PrefixLen: v6.subnet.prefix,
            ipv6Gateway: defaultRoute ? formatIPv6(v6.gateway) : "",
          }
        : {}),
      aliases: [...(s.Aliases ?? [])],
      ipamConfig: s.IPAMConfig?.IPv4Address ? { IPv4Address: s.IPAMConfig.IPv4Address } : null,
      ports: [],
      cniResult: null,
    };
  }

  private chain(e: EndpointRecord): CniChain {
    const n = this.store.network(e.networkId);
    if (!n) throw new NotFoundError(`network ${e.networkId} not found`);
    return endpointChain(n, e);
  }

  /** Namespace + CNI ADD for each endpoint. */
  private async attach(containerId: string, endpoints: EndpointRecord[]): Promise<void> {
    const netns = this.netnsPath(containerId);
    await createNetns(netns);
    for (const e of endpoints) {
      e.cniResult = await this.addEndpoint(this.chain(e), { containerId, netns, ifname: e.ifname });
      this.store.saveEndpoint(e);
      // Docker reports every endpoint a starting container joins, not only `network connect`.
      const n = this.store.network(e.networkId);
      if (n) this.publish(n, "connect", { container: containerId });
    }
  }

  /** CNI DEL for every endpoint, then the namespace, leases and held ports. Idempotent. */
  async teardown(containerId: string): Promise<void> {
    const netns = this.netnsPath(containerId);
    for (const e of this.store.endpointsOf(containerId)) {
      const n = this.store.network(e.networkId);
      await this.detachEndpoint(e, netns).catch((err: Error) =>
        log.warn("CNI DEL failed", { container: containerId, network: e.networkId, err }),
      );
      if (n) this.publish(n, "disconnect", { container: containerId });
    }
    this.ports.releaseAll(containerId);
    this.upstreams.delete(containerId);
    await removeNetns(netns).catch((err: Error) =>
      log.warn("netns removal failed", { container: containerId, err }),
    );
  }

  private async detachEndpoint(e: EndpointRecord, netns: string): Promise<void> {
    try {
      if (this.store.network(e.networkId)) {
        await cniDel(
          this.chain(e),
          { containerId: e.containerId, netns, ifname: e.ifname },
          e.cniResult ?? undefined,
        );
      }
    } finally {
      this.store.deleteEndpoint(e.id);
    }
  }

  // ---- /etc/hosts and resolv.conf -------------------------------------------------------------

  private defaultGateway(): string[] {
    const n = this.store.allNetworks().find((x) => x.isDefault);
    const gw = n?.ipamConfig[0]?.Gateway;
    return gw ? [gw] : [];
  }

  private containerUpstreams(c: NetworkedContainer): string[] {
    const dns = c.hostConfig.Dns ?? [];
    return dns.length > 0 ? [...dns] : this.hostUpstreams;
  }

  /** Writes the container's /etc/hosts and resolv.conf from its current endpoints. */
  async writeEtcFiles(c: NetworkedContainer): Promise<void> {
    const hc = c.hostConfig;
    const hostNetwork = hc.NetworkMode === "host";
    const endpoints = this.store.endpointsOf(c.id);
    const userNet = endpoints.map((e) => this.store.network(e.networkId)).find((n) => n && !n.isDefault);
    try {
      // Written in place: a running container has these files bind-mounted (a rename would
      // leave it looking at the old inode).
      await writeFile(
        c.hostsPath,
        buildHostsFile({
          hostname: c.config.Hostname || c.id.slice(0, 12),
          domainname: c.config.Domainname || undefined,
          addresses: endpoints.flatMap((e) => (e.ipv6 ? [e.ipv4, e.ipv6] : [e.ipv4])),
          extraHosts: hc.ExtraHosts ?? [],
          hostGateway: this.defaultGateway(),
          base: hostNetwork ? ((await readFile("/etc/hosts", "utf8").catch(() => null)) ?? "") : undefined,
        }) + this.legacyLinkLines(c, endpoints),
      );
      const rc = buildResolvConf({
        hostResolvConf: await readFile("/etc/resolv.conf", "utf8").catch(() => null),
        hostNetwork,
        embeddedDns: userNet ? formatIPv4(ipv4Config(userNet).gateway) : undefined,
        dns: hc.Dns ?? [],
        dnsSearch: hc.DnsSearch ?? [],
        dnsOptions: hc.DnsOptions ?? [],
      });
      await writeFile(c.resolvConfPath, rc.content);
      if (userNet)
        this.upstreams.set(
          c.id,
          rc.extServers.map((s) => s.address),
        );
    } catch (err) {
      if (err instanceof EtcFileInputError) throw new InvalidParameterError(err.message);
      throw err;
    }
  }

  // ---- embedded DNS ---------------------------------------------------------------------------

  /** --link on the default bridge: "<ip>\t<alias> <short id> <name>" lines in /etc/hosts. */
  private legacyLinkLines(c: NetworkedContainer, endpoints: EndpointRecord[]): string {
    const onDefault = endpoints.some((e) => this.store.network(e.networkId)?.isDefault);
    if (!onDefault) return "";
    let out = "";
    for (const link of (c.hostConfig.Links as string[] | null | undefined) ?? []) {
      const { name, alias } = parseLink(String(link));
      const target = this.containers.find(name);
      const ep =
        target && this.store.endpointsOf(target.id).find((e) => this.store.network(e.networkId)?.isDefault);
      if (!target || !ep) continue;
      const names = [alias, target.id.slice(0, 12), target.name].filter((v, i, all) => all.indexOf(v) === i);
      out += `${ep.ipv4}\t${names.join(" ")}\n`;
    }
    return out;
  }

  private dnsLookup(networkId: string, clientIp: string, name: string): string[] | undefined {
    const client = this.store.allEndpoints().find((e) => e.networkId === networkId && e.ipv4 === clientIp);
    const nets = client
      ? this.store
          .endpointsOf(client.containerId)
          .map((e) => e.networkId)
          .filter((id) => !this.store.network(id)?.isDefault)
      : [networkId];
    const wanted = name.toLowerCase();
    const ips: string[] = [];
    // Links on a user network (--link name:alias) are names only their container sees.
    const clientRec = client ? this.containers.find(client.containerId) : undefined;
    const net = this.store.network(networkId);
    const settings = (clientRec?.networkingConfig.EndpointsConfig ?? {}) as Record<string, EndpointSettings>;
    for (const link of (net && settings[net.name]?.Links) ?? []) {
      const { name: target, alias } = parseLink(link);
      if (alias.toLowerCase() !== wanted) continue;
      const t = this.containers.find(target);
      const ep = t && this.store.endpointsOf(t.id).find((e) => e.networkId === networkId);
      if (ep) ips.push(ep.ipv4);
    }
    for (const netId of nets) {
      for (const e of this.store.endpointsOn(netId)) {
        const c = this.containers.find(e.containerId);
        if (!c) continue;
        const names = [c.name, c.id.slice(0, 12), ...e.aliases].map((x) => x.toLowerCase());
        if (!names.includes(wanted)) continue;
        for (const ip of e.ipv6 ? [e.ipv4, e.ipv6] : [e.ipv4]) if (!ips.includes(ip)) ips.push(ip);
      }
    }
    if (ips.length > 0) return ips;
    return undefined;
  }

  /** Upstreams for a query from `clientIp` (its --dns servers, else the host's). */
  upstreamsFor(clientIp: string): string[] {
    const e = this.store.allEndpoints().find((x) => x.ipv4 === clientIp);
    // A container only on --internal networks has no way out: its other names are not forwarded.
    if (e && this.store.endpointsOf(e.containerId).every((x) => this.store.network(x.networkId)?.internal)) {
      return [];
    }
    return (e && this.upstreams.get(e.containerId)) ?? this.hostUpstreams;
  }

  // ---- the networks API -----------------------------------------------------------------------

  create(req: NetworkCreateRequest): Promise<{ Id: string; Warning: string }> {
    return this.serial(() => this.createLocked(req));
  }

  private async createLocked(req: NetworkCreateRequest): Promise<{ Id: string; Warning: string }> {
    const name = req.Name ?? "";
    if (!name) throw new InvalidParameterError("network name must not be empty");
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
      throw new InvalidParameterError(`invalid network name "${name}": must match [a-zA-Z0-9][a-zA-Z0-9_.-]`);
    }
    if (PREDEFINED.includes(name)) {
      throw new ConflictError(`${name} is a pre-defined network and cannot be created`);
    }
    if (this.store.allNetworks().some((n) => n.name === name)) {
      throw new ConflictError(`network with name ${name} already exists`);
    }
    const driver = req.Driver || "bridge";
    if (driver !== "bridge") {
      throw new NotFoundError(`plugin "${driver}" not found`);
    }
    const options = { ...(req.Options ?? {}) };
    const mtuText = options[MTU_OPT];
    const mtu = mtuText === undefined ? this.cfg.mtu : Number(mtuText);
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
      throw new InvalidParameterError(`invalid MTU number: ${mtuText}`);
    }
    const id = newId();
    const bridge = options[BRIDGE_NAME_OPT] || `br-${id.slice(0, 12)}`;
    if (bridge.length > 15)
      throw new InvalidParameterError(`bridge name ${bridge} is too long (max 15 characters)`);
    if (this.store.allNetworks().some((n) => n.bridge === bridge)) {
      throw new ConflictError(`bridge name ${bridge} is already in use by another network`);
    }
    const ipamConfig = ipv4Request(req, await this.usedSubnets(id), this.cfg.defaultAddressPools);
    ipamConfig.config = withIPv6(req, id, ipamConfig.config, this.store.allNetworks());
    const rec = this.newRecord(name, "bridge", {
      id,
      enableIPv6: req.EnableIPv6 === true,
      internal: req.Internal === true,
      attachable: req.Attachable === true,
      ipamDriver: req.IPAM?.Driver || "default",
      ipamOptions: req.IPAM?.Options ?? null,
      ipamConfig: ipamConfig.config,
      options,
      labels: { ...(req.Labels ?? {}) },
      bridge,
      mtu,
      userSubnet: ipamConfig.user,
    });
    for (let attempt = 0; ; attempt++) {
      try {
        await this.setupBridge(rec);
      } catch (err) {
        await this.destroyBridge(rec).catch(() => undefined);
        throw err;
      }
      // Another daemon may have taken the same free subnet at the same moment: look again.
      if (ipamConfig.user || attempt >= 5 || !(await this.subnetContested(rec))) break;
      await this.destroyBridge(rec);
      await new Promise((r) => setTimeout(r, Math.random() * 200));
      const again = ipv4Request(req, await this.usedSubnets(id), this.cfg.defaultAddressPools);
      rec.ipamConfig = withIPv6(req, id, again.config, this.store.allNetworks());
    }
    this.store.insertNetwork(rec);
    this.publish(rec, "create");
    return { Id: id, Warning: "" };
  }

  remove(ref: string): Promise<void> {
    return this.serial(async () => {
      const n = this.get(ref);
      if (PREDEFINED.includes(n.name)) {
        throw new ConflictError(`${n.name} is a pre-defined network and cannot be removed`);
      }
      if (this.store.endpointsOn(n.id).length > 0) {
        throw new ConflictError(
          `error while removing network: network ${n.name} id ${n.id} has active endpoints`,
        );
      }
      await this.destroyBridge(n);
      this.store.deleteNetwork(n.id);
      this.publish(n, "destroy");
      // The default bridge always keeps this daemon's own chains; portmap's may now be idle.
      if (this.cfg.iptables)
        await removeIdlePortmapChains().catch((err: Error) =>
          log.warn("cannot remove idle CNI portmap chains", { err }),
        );
    });
  }

  async prune(filters: Filters): Promise<{ NetworksDeleted: string[] }> {
    const deleted: string[] = [];
    const until = filters.get("until")?.[0];
    const untilMs = until ? parseUntilValue(until) : undefined;
    for (const n of this.store.allNetworks()) {
      if (PREDEFINED.includes(n.name) || this.store.endpointsOn(n.id).length > 0) continue;
      if (!matchLabels(filters.get("label"), n.labels)) continue;
      if (untilMs !== undefined && Date.parse(n.created) >= untilMs) continue;
      await this.remove(n.id).then(
        () => deleted.push(n.name),
        () => undefined,
      );
    }
    return { NetworksDeleted: deleted };
  }

  list(filters: Filters): Record<string, unknown>[] {
    return this.store
      .allNetworks()
      .filter(
        (n) =>
          matchAny(filters.get("name"), (v) => n.name.includes(v)) &&
          matchAny(filters.get("id"), (v) => n.id.startsWith(v)) &&
          matchAny(filters.get("driver"), (v) => v === n.driver) &&
          matchLabels(filters.get("label"), n.labels) &&
          matchAny(filters.get("scope"), (v) => v === "local") &&
          matchAny(filters.get("type"), (v) => (v === "builtin") === PREDEFINED.includes(n.name)) &&
          matchAny(filters.get("dangling"), (v) => (v === "true" || v === "1") === this.dangling(n)),
      )
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((n) => this.inspectView(n, false));
  }

  private dangling(n: NetworkRecord): boolean {
    return !PREDEFINED.includes(n.name) && this.store.endpointsOn(n.id).length === 0;
  }

  inspect(ref: string): Record<string, unknown> {
    return this.inspectView(this.get(ref), true);
  }

  private inspectView(n: NetworkRecord, withContainers: boolean): Record<string, unknown> {
    const endpoints = withContainers
      ? this.store
          .endpointsOn(n.id)
          .map((e) => ({ e, name: this.containers.find(e.containerId)?.name ?? "" }))
      : undefined;
    return networkView(n, endpoints);
  }

  // ---- connect / disconnect -------------------------------------------------------------------

  connect(ref: string, containerRef: string, settings: EndpointSettings): Promise<void> {
    return this.serial(async () => {
      const n = this.get(ref);
      const c = this.containers.get(containerRef);
      const mode = c.hostConfig.NetworkMode || "default";
      if (mode.startsWith("container:")) {
        throw new InvalidParameterError(
          "container sharing network namespace with another container or host cannot be connected to any other network",
        );
      }
      if (mode === "host") {
        throw new InvalidParameterError(
          "container cannot be disconnected from host network or connected to host network",
        );
      }
      if (mode === "none") {
        throw new InvalidParameterError(
          "container cannot be connected to multiple networks with one of the networks in private (none) mode",
        );
      }
      if (n.driver !== "bridge") {
        throw new InvalidParameterError(
          "container cannot be disconnected from host network or connected to host network",
        );
      }
      c.networkingConfig.EndpointsConfig ??= {};
      const endpoints = c.networkingConfig.EndpointsConfig as Record<string, EndpointSettings>;
      if (n.name in endpoints || this.store.endpointsOf(c.id).some((e) => e.networkId === n.id)) {
        throw new ConflictError(`endpoint with name ${c.name} already exists in network ${n.name}`);
      }
      this.checkEndpointSettings(n, settings);
      if (c.state.Running) {
        const existing = this.store.endpointsOf(c.id);
        const ifname = nextIfname(existing.map((e) => e.ifname));
        const needsGateway = !n.internal && !existing.some((e) => e.gateway !== "");
        const ep = this.store.transaction(() => {
          const e = this.newEndpoint(c, n, settings, ifname, needsGateway);
          this.store.insertEndpoint(e);
          return e;
        });
        try {
          ep.cniResult = await this.addEndpoint(this.chain(ep), {
            containerId: c.id,
            netns: this.netnsPath(c.id),
            ifname,
          });
          this.store.saveEndpoint(ep);
        } catch (err) {
          // CNI DEL undoes whatever the failed ADD got done (veth, routes); the lease goes too.
          await this.detachEndpoint(ep, this.netnsPath(c.id)).catch(() => undefined);
          throw new EngineError(`failed to connect ${c.name} to ${n.name}: ${(err as Error).message}`);
        }
      }
      endpoints[n.name] = normalizeSettings(settings);
      this.containers.save(c);
      if (c.state.Running) await this.writeEtcFiles(c);
      this.publish(n, "connect", { container: c.id });
    });
  }

  disconnect(ref: string, containerRef: string, force: boolean): Promise<void> {
    return this.serial(async () => {
      const c = this.containers.find(containerRef) ?? (force ? undefined : this.containers.get(containerRef));
      const n = this.get(ref);
      if (!c) {
        // Force-removing an endpoint whose container is gone.
        for (const e of this.store.endpointsOn(n.id).filter((x) => x.containerId.startsWith(containerRef))) {
          await this.detachEndpoint(e, this.netnsPath(e.containerId)).catch(() => undefined);
        }
        return;
      }
      const endpoints = (c.networkingConfig.EndpointsConfig ?? {}) as Record<string, EndpointSettings>;
      const ep = this.store.endpointsOf(c.id).find((e) => e.networkId === n.id);
      if (!(n.name in endpoints) && !ep) {
        throw new ConflictError(`container ${c.id} is not connected to network ${n.name}`);
      }
      if (ep) {
        await this.detachEndpoint(ep, this.netnsPath(c.id));
        if (ep.ports.length > 0) this.ports.releaseAll(c.id);
        if (ep.gateway !== "") await this.moveDefaultRoute(c.id);
      }
      delete endpoints[n.name];
      if (c.hostConfig.NetworkMode === n.name || (n.isDefault && c.hostConfig.NetworkMode === "default")) {
        // Docker keeps NetworkMode; the container just has no endpoint there any more.
      }
      this.containers.save(c);
      if (c.state.Running) await this.writeEtcFiles(c);
      this.publish(n, "disconnect", { container: c.id });
    });
  }

  /** After the default-route endpoint left: the next non-internal endpoint becomes the gateway. */
  private async moveDefaultRoute(containerId: string): Promise<void> {
    const next = this.store
      .endpointsOf(containerId)
      .find((e) => !this.store.network(e.networkId)?.internal && e.gateway === "");
    const n = next && this.store.network(next.networkId);
    if (!next || !n) return;
    const netns = this.netnsPath(containerId);
    next.gateway = formatIPv4(ipv4Config(n).gateway);
    await runInNetns(netns, "ip", ["route", "replace", "default", "via", next.gateway, "dev", next.ifname]);
    const v6 = ipv6Config(n);
    if (v6 && next.ipv6) {
      next.ipv6Gateway = formatIPv6(v6.gateway);
      await runInNetns(netns, "ip", [
        "-6",
        "route",
        "replace",
        "default",
        "via",
        next.ipv6Gateway,
        "dev",
        next.ifname,
      ]);
    }
    this.store.saveEndpoint(next);
  }

  // ---- container views ------------------------------------------------------------------------

  /** NetworkSettings.Networks of a container: live endpoint data when running. */
  containerNetworks(c: NetworkedContainer): Record<string, unknown> {
    const mode = c.hostConfig.NetworkMode || "default";
    const out: Record<string, unknown> = {};
    if (mode === "host" || mode === "none") {
      const n = this.find(mode);
      out[mode] = endpointView(n?.id ?? "", undefined, {});
      return out;
    }
    if (mode.startsWith("container:")) return out;
    const live = c.state.Running ? this.store.endpointsOf(c.id) : [];
    for (const [name, settings] of Object.entries(
      (c.networkingConfig.EndpointsConfig ?? {}) as Record<string, EndpointSettings>,
    )) {
      const n = this.find(name);
      const e = n ? live.find((x) => x.networkId === n.id) : undefined;
      out[name] = endpointView(
        n?.id ?? "",
        e,
        settings ?? {},
        n && !n.isDefault ? [...new Set([c.name, c.id.slice(0, 12), ...(settings?.Aliases ?? [])])] : null,
      );
    }
    return out;
  }

  /** NetworkSettings.Ports: bound ports, and exposed ones with null. */
  containerPorts(c: NetworkedContainer): Record<string, Array<{ HostIp: string; HostPort: string }> | null> {
    const out: Record<string, Array<{ HostIp: string; HostPort: string }> | null> = {};
    if (!c.state.Running) return out;
    for (const k of Object.keys(c.config.ExposedPorts ?? {})) out[k.includes("/") ? k : `${k}/tcp`] = null;
    for (const m of this.store.endpointsOf(c.id).flatMap((e) => e.ports)) {
      const key = `${m.containerPort}/${m.protocol}`;
      const list = out[key] ?? [];
      list.push({ HostIp: m.hostIP || "0.0.0.0", HostPort: String(m.hostPort) });
      out[key] = list;
    }
    return out;
  }

  /** Ports of `docker ps`. */
  summaryPorts(
    c: NetworkedContainer,
  ): Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }> {
    const ports = this.containerPorts(c);
    const out: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }> = [];
    for (const [key, bindings] of Object.entries(ports)) {
      const [port = "0", type = "tcp"] = key.split("/");
      if (!bindings) out.push({ PrivatePort: Number(port), Type: type });
      else
        for (const b of bindings)
          out.push({ IP: b.HostIp, PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: type });
    }
    return out;
  }

  /**
   * The endpoint behind the top-level NetworkSettings fields (IPAddress, Gateway, MacAddress…):
   * as Docker, only the default bridge's; a container on user networks only has them empty.
   */
  primaryEndpoint(c: NetworkedContainer): EndpointRecord | undefined {
    return this.store.endpointsOf(c.id).find((e) => this.store.network(e.networkId)?.isDefault);
  }

  sandboxKey(c: NetworkedContainer): string {
    return c.state.Running && this.store.endpointsOf(c.id).length > 0 ? this.netnsPath(c.id) : "";
  }

  /** Names of the networks a container is on (for the ps network filter). */
  networkNames(c: NetworkedContainer): string[] {
    const mode = c.hostConfig.NetworkMode || "default";
    if (mode === "host" || mode === "none") return [mode];
    return Object.keys(c.networkingConfig.EndpointsConfig ?? {});
  }

  private publish(n: NetworkRecord, action: string, extra: Record<string, string> = {}): void {
    this.events.publish({
      Type: "network",
      Action: action,
      Actor: { ID: n.id, Attributes: { name: n.name, type: n.driver, ...extra } },
    });
  }
}

function pushCidr(list: Cidr[], text: string): void {
  const c = parseCidr(text);
  if (c && c.prefix > 0) list.push(c);
}

function defaultBridgeOptions(bridge: string, mtu: number): Record<string, string> {
  return {
    "com.docker.network.bridge.default_bridge": "true",
    "com.docker.network.bridge.enable_icc": "true",
    "com.docker.network.bridge.enable_ip_masquerade": "true",
    "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
    [BRIDGE_NAME_OPT]: bridge,
    [MTU_OPT]: String(mtu),
  };
}

function normalizeSettings(s: EndpointSettings): EndpointSettings {
  return {
    IPAMConfig: s.IPAMConfig ?? null,
    Links: s.Links ?? null,
    Aliases: s.Aliases && s.Aliases.length > 0 ? [...s.Aliases] : null,
    MacAddress: s.MacAddress ?? "",
    DriverOpts: s.DriverOpts ?? null,
  };
}

/** "name:alias" (CLI) or "/name:/self/alias" (API, as Docker stores them). */
function parseLink(link: string): { name: string; alias: string } {
  const [name = "", alias] = link.split(":");
  const bare = name.replace(/^\//, "");
  return { name: bare, alias: alias ? (alias.split("/").pop() ?? bare) : bare };
}

function nextIfname(used: string[]): string {
  for (let i = 0; ; i++) if (!used.includes(`eth${i}`)) return `eth${i}`;
}

function parseUntilValue(value: string): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const d = /^(\d+)(s|m|h)$/.exec(value);
  if (d) return Date.now() - Number(d[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[d[2] as "s" | "m" | "h"];
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidParameterError(`invalid until filter: ${value}`);
  return t;
}

export type { EndpointSettings, NetworkCreateRequest, PortMapping };
