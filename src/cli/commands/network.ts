// network create / ls / inspect / rm / prune / connect / disconnect, as docker's
// cli/command/network builds its requests and prints its answers.
import type { EngineClient } from "../../client/engine-client.ts";
import { encodeFilters } from "../../client/filters.ts";
import { type Command, describeError, filterFlags, StatusError, writeOut } from "../command.ts";
import { formatUsage, validators } from "../container-flags.ts";
import type { ParsedFlags } from "../flags.ts";
import { truncateId } from "../format/humanize.ts";
import { kvMap, readLabels } from "../opts/kv.ts";
import { confirm, deletedSection, pruneFlags } from "./prune.ts";

interface NetworkResource {
  Name: string;
  Id: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv6: boolean;
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  Labels: Record<string, string> | null;
}

const enc = encodeURIComponent;

interface IpamEntry {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

function ipv4Prefix(cidr: string): { base: bigint; bits: number; v6: boolean } | undefined {
  const [addr = "", len = ""] = cidr.split("/");
  if (addr.includes(":")) return { base: 0n, bits: Number(len), v6: true };
  const parts = addr.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  const n = parts.reduce((acc, p) => (acc << 8n) + BigInt(p), 0n);
  return { base: n, bits: len === "" ? 32 : Number(len), v6: false };
}

/** Whether `ip` (address or CIDR) lies in `subnet` (docker's subnetMatches). */
function subnetMatches(subnet: string, ip: string): boolean {
  const s = ipv4Prefix(subnet);
  const a = ipv4Prefix(ip.includes("/") ? ip : `${ip}/32`);
  if (!s || !a) return false;
  if (s.v6 || a.v6) return s.v6 === a.v6 && ip.split(":")[0] === subnet.split(":")[0];
  const mask = ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - s.bits)) - 1n);
  return (s.base & mask) === (a.base & mask);
}

/** consolidateIpam: one IPAM Config entry per --subnet, with its range, gateway and aux addresses. */
export function consolidateIpam(
  subnets: string[],
  ranges: string[],
  gateways: string[],
  aux: Record<string, string>,
): IpamEntry[] {
  if (subnets.length < ranges.length || subnets.length < gateways.length) {
    throw new Error("every ip-range or gateway must have a corresponding subnet");
  }
  const entries: IpamEntry[] = subnets.map((s) => ({ Subnet: s }));
  for (const r of ranges) {
    const e = entries.find((x) => subnetMatches(x.Subnet ?? "", r));
    if (!e) throw new Error(`no matching subnet for range ${r}`);
    if (e.IPRange)
      throw new Error(
        `cannot configure multiple ranges (${r}, ${e.IPRange}) on the same subnet (${e.Subnet})`,
      );
    e.IPRange = r;
  }
  for (const g of gateways) {
    const e = entries.find((x) => subnetMatches(x.Subnet ?? "", g));
    if (!e) throw new Error(`no matching subnet for gateway ${g}`);
    if (e.Gateway)
      throw new Error(
        `cannot configure multiple gateways (${g}, ${e.Gateway}) for the same subnet (${e.Subnet})`,
      );
    e.Gateway = g;
  }
  for (const [name, ip] of Object.entries(aux)) {
    const e = entries.find((x) => subnetMatches(x.Subnet ?? "", ip));
    if (!e) throw new Error(`no matching subnet for aux-address ${ip}`);
    e.AuxiliaryAddresses = { ...(e.AuxiliaryAddresses ?? {}), [name]: ip };
  }
  return entries;
}

export const networkCreateCommand: Command = {
  usage: "[OPTIONS] NETWORK",
  flags: [
    { name: "attachable", usage: "Enable manual container attachment" },
    { name: "aux-address", type: "map", usage: "Auxiliary IPv4 or IPv6 addresses used by Network driver" },
    { name: "config-from", type: "string", usage: "The network from which to copy the configuration" },
    { name: "config-only", usage: "Create a configuration only network" },
    { name: "driver", short: "d", type: "string", usage: "Driver to manage the Network", default: "bridge" },
    { name: "gateway", type: "strings", usage: "IPv4 or IPv6 Gateway for the master subnet" },
    { name: "ingress", usage: "Create swarm routing-mesh network" },
    { name: "internal", usage: "Restrict external access to the network" },
    { name: "ip-range", type: "strings", usage: "Allocate container ip from a sub-range" },
    { name: "ipam-driver", type: "string", usage: "IP Address Management Driver", default: "default" },
    { name: "ipam-opt", type: "map", usage: "Set IPAM driver specific options" },
    { name: "ipv4", usage: "Enable or disable IPv4 address assignment", default: "true" },
    { name: "ipv6", usage: "Enable or disable IPv6 address assignment" },
    { name: "label", type: "list", usage: "Set metadata on a network" },
    { name: "opt", short: "o", type: "map", usage: "Set driver specific options" },
    { name: "scope", type: "string", usage: "Control the network's scope" },
    { name: "subnet", type: "strings", usage: "Subnet in CIDR format that represents a network segment" },
  ],
  args: { exact: 1 },
  async run(ctx, flags, args) {
    const ipam = consolidateIpam(
      flags.list("subnet").flatMap((v) => v.split(",")),
      flags.list("ip-range").flatMap((v) => v.split(",")),
      flags.list("gateway").flatMap((v) => v.split(",")),
      kvMap(flags.list("aux-address")),
    );
    const body: Record<string, unknown> = {
      Name: args[0],
      CheckDuplicate: true,
      Driver: flags.string("driver") ?? "bridge",
      Scope: flags.string("scope") ?? "",
      IPAM: {
        Driver: flags.string("ipam-driver") ?? "default",
        Config: ipam,
        Options: kvMap(flags.list("ipam-opt")),
      },
      Internal: flags.bool("internal"),
      Attachable: flags.bool("attachable"),
      Ingress: flags.bool("ingress"),
      ConfigOnly: flags.bool("config-only"),
      ConfigFrom: flags.string("config-from") ? { Network: flags.string("config-from") } : null,
      Options: kvMap(flags.list("opt")),
      Labels: readLabels([], flags.list("label")),
    };
    if (flags.changed("ipv6")) body.EnableIPv6 = flags.bool("ipv6");
    const res = await ctx
      .client()
      .json<{ Id: string; Warning?: string }>("POST", "/networks/create", { body });
    if (res.Warning) await writeOut(ctx.streams.stderr, `${res.Warning}\n`);
    await writeOut(ctx.streams.stdout, `${res.Id}\n`);
    return 0;
  },
};

const lsHeaders: Readonly<Record<string, string>> = {
  ID: "NETWORK ID",
  Name: "NAME",
  Driver: "DRIVER",
  Scope: "SCOPE",
  IPv6: "IPV6",
  Internal: "INTERNAL",
  Labels: "LABELS",
  CreatedAt: "CREATED",
};

export const networkLsCommand: Command = {
  usage: "[OPTIONS]",
  flags: [
    {
      name: "filter",
      short: "f",
      type: "filter",
      usage: 'Provide filter values (e.g. "driver=bridge")',
      validate: validators.filter,
    },
    { name: "format", type: "string", usage: formatUsage },
    { name: "no-trunc", usage: "Do not truncate the output" },
    { name: "quiet", short: "q", usage: "Only display network IDs" },
  ],
  args: { none: true },
  async run(ctx, flags) {
    const filters = filterFlags(flags);
    const query = filters.size > 0 ? { filters: encodeFilters(filters) } : undefined;
    const list = await ctx.client().json<NetworkResource[]>("GET", "/networks", { query });
    list.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
    const trunc = !flags.bool("no-trunc");
    const rows = list.map((n) => {
      const labels = n.Labels ?? {};
      return {
        ID: trunc ? truncateId(n.Id) : n.Id,
        Name: n.Name,
        Driver: n.Driver,
        Scope: n.Scope,
        IPv6: String(n.EnableIPv6),
        Internal: String(n.Internal),
        Labels: Object.entries(labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(","),
        CreatedAt: n.Created,
        Label: (name: unknown) => labels[String(name)] ?? "",
      };
    });
    const { formatRows } = await import("../format/table.ts");
    const table = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}";
    await writeOut(
      ctx.streams.stdout,
      formatRows(flags.string("format"), table, lsHeaders, rows, { quiet: flags.bool("quiet") }),
    );
    return 0;
  },
};

export const networkRmCommand: Command = {
  usage: "NETWORK [NETWORK...]",
  flags: [{ name: "force", short: "f", usage: "Do not error if the network does not exist" }],
  args: { min: 1 },
  async run(ctx, flags, args) {
    const client = ctx.client();
    const errors: string[] = [];
    for (const ref of args) {
      try {
        await client.send("DELETE", `/networks/${enc(ref)}`);
        await writeOut(ctx.streams.stdout, `${ref}\n`);
      } catch (err) {
        if (flags.bool("force") && isNotFound(err)) continue;
        errors.push(describeError(err));
      }
    }
    if (errors.length > 0) throw new StatusError(errors.join("\n"), 1);
    return 0;
  },
};

function isNotFound(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { status?: number }).status === 404;
}

const pruneWarning =
  "WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?";

export const networkPruneCommand: Command = {
  usage: "[OPTIONS]",
  flags: pruneFlags("until=<timestamp>"),
  args: { none: true },
  async run(ctx, flags) {
    const filters = filterFlags(flags);
    if (!flags.bool("force") && !(await confirm(ctx, pruneWarning))) return 0;
    const query = filters.size > 0 ? { filters: encodeFilters(filters) } : undefined;
    const report = await ctx
      .client()
      .json<{ NetworksDeleted: string[] | null }>("POST", "/networks/prune", { query });
    // docker prints no blank line and no total after the networks.
    const deleted = deletedSection("Deleted Networks", report.NetworksDeleted);
    if (deleted) await writeOut(ctx.streams.stdout, deleted.slice(0, -1));
    return 0;
  },
};

function endpointConfig(flags: ParsedFlags): Record<string, unknown> {
  const ip = flags.string("ip");
  const ip6 = flags.string("ip6");
  const linkLocal = flags.list("link-local-ip");
  const ipam: Record<string, unknown> = {};
  if (ip) ipam.IPv4Address = ip;
  if (ip6) ipam.IPv6Address = ip6;
  if (linkLocal.length > 0) ipam.LinkLocalIPs = linkLocal;
  const aliases = flags.list("alias");
  const links = flags.list("link");
  const driverOpts = kvMap(flags.list("driver-opt"));
  return {
    IPAMConfig: Object.keys(ipam).length > 0 ? ipam : null,
    Links: links.length > 0 ? links : null,
    Aliases: aliases.length > 0 ? aliases : null,
    DriverOpts: Object.keys(driverOpts).length > 0 ? driverOpts : null,
    GwPriority: Number(flags.string("gw-priority") ?? 0),
  };
}

export const networkConnectCommand: Command = {
  usage: "[OPTIONS] NETWORK CONTAINER",
  flags: [
    { name: "alias", type: "strings", usage: "Add network-scoped alias for the container" },
    { name: "driver-opt", type: "strings", usage: "driver options for the network" },
    { name: "gw-priority", type: "int", usage: "Highest gw-priority provides the default gateway." },
    { name: "ip", type: "string", usage: 'IPv4 address (e.g., "172.30.100.104")' },
    { name: "ip6", type: "string", usage: 'IPv6 address (e.g., "2001:db8::33")' },
    { name: "link", type: "list", usage: "Add link to another container" },
    { name: "link-local-ip", type: "strings", usage: "Add a link-local address for the container" },
  ],
  args: { exact: 2 },
  async run(ctx, flags, args) {
    const [network = "", container = ""] = args;
    await ctx.client().send("POST", `/networks/${enc(network)}/connect`, {
      body: { Container: container, EndpointConfig: endpointConfig(flags) },
    });
    return 0;
  },
};

export const networkDisconnectCommand: Command = {
  usage: "[OPTIONS] NETWORK CONTAINER",
  flags: [{ name: "force", short: "f", usage: "Force the container to disconnect from a network" }],
  args: { exact: 2 },
  async run(ctx, flags, args) {
    const [network = "", container = ""] = args;
    await ctx.client().send("POST", `/networks/${enc(network)}/disconnect`, {
      body: { Container: container, Force: flags.bool("force") },
    });
    return 0;
  },
};

/** `port CONTAINER [PRIVATE_PORT[/PROTO]]`. */
export const portCommand: Command = {
  usage: "CONTAINER [PRIVATE_PORT[/PROTO]]",
  flags: [],
  args: { min: 1, max: 2 },
  async run(ctx, _flags, args) {
    const [ref = "", wanted] = args;
    const c = await inspectPorts(ctx.client(), ref);
    const ports = c.NetworkSettings?.Ports ?? {};
    const lines: string[] = [];
    if (wanted !== undefined) {
      const [port = "", proto = "tcp"] = wanted.split("/");
      const key = `${port}/${proto}`;
      const bindings = ports[key];
      if (!bindings || bindings.length === 0) {
        throw new StatusError(`Error: No public port '${wanted}' published for ${ref}`, 1);
      }
      for (const b of bindings) lines.push(hostPort(b));
    } else {
      const keys = Object.keys(ports).sort(comparePortKeys);
      for (const key of keys) for (const b of ports[key] ?? []) lines.push(`${key} -> ${hostPort(b)}`);
    }
    await writeOut(ctx.streams.stdout, lines.map((l) => `${l}\n`).join(""));
    return 0;
  },
};

function hostPort(b: { HostIp: string; HostPort: string }): string {
  const ip = b.HostIp.includes(":") ? `[${b.HostIp}]` : b.HostIp;
  return `${ip}:${b.HostPort}`;
}

function comparePortKeys(a: string, b: string): number {
  const [pa = "0", ta = ""] = a.split("/");
  const [pb = "0", tb = ""] = b.split("/");
  return Number(pa) - Number(pb) || (ta < tb ? -1 : ta > tb ? 1 : 0);
}

async function inspectPorts(
  client: EngineClient,
  ref: string,
): Promise<{
  NetworkSettings?: { Ports?: Record<string, Array<{ HostIp: string; HostPort: string }> | null> };
}> {
  return client.json("GET", `/containers/${enc(ref)}/json`);
}
