// Network and endpoint records in SQLite (write-through, cached in memory). An endpoint exists
// while its container runs on the network: its row is also the IP address allocation.
import type { Database } from "../../store/db.ts";
import type { IpamConfigEntry } from "../../wire/networks.ts";

export interface NetworkRecord {
  id: string;
  name: string;
  created: string;
  driver: "bridge" | "host" | "null";
  enableIPv6: boolean;
  internal: boolean;
  attachable: boolean;
  ipamDriver: string;
  ipamOptions: Record<string, string> | null;
  ipamConfig: IpamConfigEntry[];
  options: Record<string, string>;
  labels: Record<string, string>;
  /** Bridge device (bridge driver only). */
  bridge: string;
  mtu: number;
  /** The daemon's default network ("bridge"): no DNS, no aliases. */
  isDefault: boolean;
  /** The subnet was given by the user (static container addresses need that). */
  userSubnet: boolean;
}

export interface PortMapping {
  hostIP: string;
  hostPort: number;
  containerPort: number;
  protocol: "tcp" | "udp" | "sctp";
  /** The [::] twin of a binding with no host IP: served by wharfd's relay alone, not by CNI portmap. */
  relayOnly?: boolean;
}

export interface EndpointRecord {
  id: string;
  networkId: string;
  containerId: string;
  ifname: string;
  mac: string;
  /** Address without prefix, e.g. "10.209.1.2". */
  ipv4: string;
  prefixLen: number;
  gateway: string;
  /** IPv6 address, prefix and default gateway (EnableIPv6 networks). */
  ipv6?: string;
  ipv6PrefixLen?: number;
  ipv6Gateway?: string;
  aliases: string[];
  /** Static address asked for (IPAMConfig.IPv4Address). */
  ipamConfig: { IPv4Address?: string } | null;
  ports: PortMapping[];
  /** The CNI chain's ADD result, handed back on DEL. */
  cniResult: Record<string, unknown> | null;
}

export class NetworkStore {
  private readonly db: Database;
  private readonly networks = new Map<string, NetworkRecord>();
  private readonly endpoints = new Map<string, EndpointRecord>();

  constructor(db: Database) {
    this.db = db;
    for (const row of db.sql.prepare("SELECT record FROM networks").all() as Array<{ record: string }>) {
      const n = JSON.parse(row.record) as NetworkRecord;
      this.networks.set(n.id, n);
    }
    for (const row of db.sql.prepare("SELECT record FROM endpoints").all() as Array<{ record: string }>) {
      const e = JSON.parse(row.record) as EndpointRecord;
      this.endpoints.set(e.id, e);
    }
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn);
  }

  allNetworks(): NetworkRecord[] {
    return [...this.networks.values()];
  }

  network(id: string): NetworkRecord | undefined {
    return this.networks.get(id);
  }

  insertNetwork(n: NetworkRecord): void {
    this.db.sql
      .prepare("INSERT INTO networks (id, name, created, record) VALUES (?, ?, ?, ?)")
      .run(n.id, n.name, Date.parse(n.created), JSON.stringify(n));
    this.networks.set(n.id, n);
  }

  saveNetwork(n: NetworkRecord): void {
    this.db.sql.prepare("UPDATE networks SET record = ? WHERE id = ?").run(JSON.stringify(n), n.id);
  }

  deleteNetwork(id: string): void {
    this.db.sql.prepare("DELETE FROM networks WHERE id = ?").run(id);
    this.networks.delete(id);
  }

  allEndpoints(): EndpointRecord[] {
    return [...this.endpoints.values()];
  }

  endpointsOf(containerId: string): EndpointRecord[] {
    return this.allEndpoints()
      .filter((e) => e.containerId === containerId)
      .sort((a, b) => a.ifname.localeCompare(b.ifname, "en", { numeric: true }));
  }

  endpointsOn(networkId: string): EndpointRecord[] {
    return this.allEndpoints().filter((e) => e.networkId === networkId);
  }

  insertEndpoint(e: EndpointRecord): void {
    this.db.sql
      .prepare("INSERT INTO endpoints (id, network_id, container_id, record) VALUES (?, ?, ?, ?)")
      .run(e.id, e.networkId, e.containerId, JSON.stringify(e));
    this.endpoints.set(e.id, e);
  }

  saveEndpoint(e: EndpointRecord): void {
    this.db.sql.prepare("UPDATE endpoints SET record = ? WHERE id = ?").run(JSON.stringify(e), e.id);
  }

  deleteEndpoint(id: string): void {
    this.db.sql.prepare("DELETE FROM endpoints WHERE id = ?").run(id);
    this.endpoints.delete(id);
  }
}

export type { IpamConfigEntry };
