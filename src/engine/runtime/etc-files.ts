// Contents of a container's /etc/hosts, /etc/hostname and /etc/resolv.conf, generated the
// way Docker's libnetwork does (etchosts, internal/resolvconf). Pure: the caller reads the
// host's files and writes the results.

import { BlockList, isIP } from "node:net";

/** Docker-shaped error for bad user input (e.g. an --add-host without an IP). */
export class EtcFileInputError extends Error {
  override name = "EtcFileInputError";
}

export interface HostsFileOptions {
  hostname: string;
  domainname?: string;
  /** The container's own addresses; each gets a "<ip> <fqdn> <hostname>" line. */
  addresses?: readonly string[];
  /** HostConfig.ExtraHosts: "name:ip" (also "name=ip"); ip may be "host-gateway". */
  extraHosts?: readonly string[];
  /** Addresses "host-gateway" stands for (daemon's host-gateway-ip). */
  hostGateway?: readonly string[];
  /** Whether the container has IPv6 on loopback; false leaves out the IPv6 lines. Default true. */
  ipv6?: boolean;
  /** Host networking: start from the host's /etc/hosts text instead of Docker's defaults. */
  base?: string;
}

const IPV4_DEFAULTS: ReadonlyArray<[string, string]> = [["127.0.0.1", "localhost"]];
const IPV6_DEFAULTS: ReadonlyArray<[string, string]> = [
  ["::1", "localhost ip6-localhost ip6-loopback"],
  ["fe00::0", "ip6-localnet"],
  ["ff00::0", "ip6-mcastprefix"],
  ["ff02::1", "ip6-allnodes"],
  ["ff02::2", "ip6-allrouters"],
];

/** /etc/hosts: defaults (or the host's file), then ExtraHosts, then the container's own names. */
export function buildHostsFile(opts: HostsFileOptions): string {
  const lines: string[] = [];
  if (opts.base !== undefined) {
    const base = opts.base.endsWith("\n") || opts.base === "" ? opts.base : `${opts.base}\n`;
    lines.push(...base.split("\n").slice(0, -1));
  } else {
    const defaults = opts.ipv6 === false ? IPV4_DEFAULTS : [...IPV4_DEFAULTS, ...IPV6_DEFAULTS];
    for (const [ip, names] of defaults) lines.push(`${ip}\t${names}`);
  }
  for (const entry of opts.extraHosts ?? []) {
    const { name, ips } = parseExtraHost(entry, opts.hostGateway ?? []);
    for (const ip of ips) lines.push(`${ip}\t${name}`);
  }
  const names = hostNames(opts.hostname, opts.domainname);
  if (names) for (const ip of opts.addresses ?? []) lines.push(`${ip}\t${names}`);
  return lines.map((l) => `${l}\n`).join("");
}

/** "fqdn short" when the name has a domain part, else just the name (libnetwork etchosts). */
function hostNames(hostname: string, domainname: string | undefined): string {
  const fqdn = domainname ? `${hostname}.${domainname}` : hostname;
  const dot = fqdn.indexOf(".");
  return dot > 0 ? `${fqdn} ${fqdn.slice(0, dot)}` : fqdn;
}

/** Parse one ExtraHosts entry; "host-gateway" expands to the given gateway addresses. */
export function parseExtraHost(
  entry: string,
  hostGateway: readonly string[],
): { name: string; ips: string[] } {
  // "name=ip" is the newer form; "name:ip" splits at the first colon so IPv6 survives.
  const sep = entry.includes("=") ? entry.indexOf("=") : entry.indexOf(":");
  if (sep <= 0) throw new EtcFileInputError(`bad format for add-host: "${entry}"`);
  const name = entry.slice(0, sep).trim();
  let ip = entry.slice(sep + 1).trim();
  if (ip.startsWith("[") && ip.endsWith("]")) ip = ip.slice(1, -1);
  if (ip === "host-gateway") {
    if (hostGateway.length === 0) {
      throw new EtcFileInputError("unable to derive the IP value for host-gateway");
    }
    return { name, ips: [...hostGateway] };
  }
  if (isIP(ip) === 0) throw new EtcFileInputError(`invalid IP address in add-host: "${ip}"`);
  return { name, ips: [ip] };
}

/** /etc/hostname: the bare hostname (not the domain), newline-terminated, as Docker writes it. */
export function buildHostnameFile(hostname: string): string {
  return `${hostname}\n`;
}

export interface ParsedResolvConf {
  nameservers: string[];
  /** Nameserver lines whose address did not parse. */
  invalidNameservers: string[];
  search: string[];
  options: string[];
  /** Directives wharf does not interpret, kept verbatim. */
  other: string[];
}

/** Parse resolv.conf text with glibc's rules: last search/domain wins, options accumulate. */
export function parseResolvConf(text: string): ParsedResolvConf {
  const rc: ParsedResolvConf = {
    nameservers: [],
    invalidNameservers: [],
    search: [],
    options: [],
    other: [],
  };
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/).filter(Boolean);
    if (fields.length === 0 || fields[0]!.startsWith("#") || fields[0]!.startsWith(";")) continue;
    const [keyword, ...rest] = fields;
    switch (keyword) {
      case "nameserver":
        if (rest.length === 0) break;
        if (isIP(rest[0]!) === 0) rc.invalidNameservers.push(rest[0]!);
        else rc.nameservers.push(rest[0]!);
        break;
      case "domain": // obsolete spelling of search
      case "search":
        if (rest.length > 0) rc.search = rest;
        break;
      case "options":
        rc.options.push(...rest);
        break;
      default:
        rc.other.push(line.replace(/\r$/, ""));
    }
  }
  return rc;
}

export interface ResolvConfOptions {
  /** Text of the host's resolv.conf (systemd-resolved hosts: the upstream file); null if missing. */
  hostResolvConf: string | null;
  /** Where hostResolvConf came from, for the trailing comment. Default "/etc/resolv.conf". */
  sourcePath?: string;
  /** Host networking: the host's servers are reachable, so nothing is filtered. */
  hostNetwork?: boolean;
  /** Address of the network's embedded DNS server (e.g. 127.0.0.11): the only nameserver. */
  embeddedDns?: string;
  /** HostConfig.Dns, DnsSearch, DnsOptions: each replaces the host's value when non-empty. */
  dns?: readonly string[];
  dnsSearch?: readonly string[];
  dnsOptions?: readonly string[];
  /** Whether the container has IPv6 connectivity: if not, IPv6 servers are dropped. Default false. */
  ipv6?: boolean;
  /** Add the header and the trailing "how this was made" comments, as Docker does. Default true. */
  comments?: boolean;
  header?: string;
}

export interface ExternalDnsServer {
  address: string;
  /** Read from the host's file: must be queried from the host's network namespace. */
  hostLoopback: boolean;
}

export interface ResolvConfResult {
  content: string;
  /** The nameservers written into the file. */
  nameservers: string[];
  /** With embeddedDns: where the embedded server should forward queries. */
  extServers: ExternalDnsServer[];
}

const DEFAULT_IPV4_NAMESERVERS = ["8.8.8.8", "8.8.4.4"];
const DEFAULT_IPV6_NAMESERVERS = ["2001:4860:4860::8888", "2001:4860:4860::8844"];
const DEFAULT_HEADER = "# Generated by wharf.";

const loopback = new BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");

function isLoopback(ip: string): boolean {
  const family = isIP(ip);
  return family !== 0 && loopback.check(ip, family === 6 ? "ipv6" : "ipv4");
}

/**
 * The container's /etc/resolv.conf with Docker's rules: overrides first; then, for a network
 * with an embedded DNS server, that server alone (host search/options kept, ndots:0 added);
 * for other non-host networks, loopback (and, without IPv6, IPv6) servers dropped and
 * Google's public servers used only when nothing is left.
 */
export function buildResolvConf(opts: ResolvConfOptions): ResolvConfResult {
  const rc = parseResolvConf(opts.hostResolvConf ?? "");
  const ipv6 = opts.ipv6 ?? false;
  const overrides: string[] = [];
  const notes: string[] = [];
  let ndotsFrom = findOption(rc.options, "ndots") !== undefined ? "host" : "";

  const dnsOverride = (opts.dns ?? []).length > 0;
  if (dnsOverride) {
    for (const ns of opts.dns!) {
      if (isIP(ns) === 0) throw new EtcFileInputError(`${ns} is not an ip address`);
    }
    rc.nameservers = [...opts.dns!];
    overrides.push("nameservers");
  }
  if ((opts.dnsSearch ?? []).length > 0) {
    rc.search = opts.dnsSearch!.filter((s) => s !== ".");
    overrides.push("search");
  }
  if ((opts.dnsOptions ?? []).length > 0) {
    rc.options = [...opts.dnsOptions!];
    ndotsFrom = findOption(rc.options, "ndots") !== undefined ? "override" : "";
    overrides.push("options");
  }

  let transform = "";
  let extServers: ExternalDnsServer[] = [];
  if (opts.embeddedDns !== undefined) {
    transform = "internal resolver";
    extServers = rc.nameservers.map((address) => ({ address, hostLoopback: !dnsOverride }));
    if (extServers.length === 0) {
      extServers = defaultNameservers(ipv6).map((address) => ({ address, hostLoopback: false }));
      notes.push("# Used default nameservers.");
    }
    rc.nameservers = [opts.embeddedDns];
    // The embedded server answers container names; ndots:0 sends bare names to it first.
    rc.options = rc.options.filter((o) => !isInvalidNdots(o));
    if (findOption(rc.options, "ndots") === undefined) {
      rc.options.push("ndots:0");
      ndotsFrom = "internal";
    }
  } else if (!opts.hostNetwork) {
    transform = "legacy";
    if (!dnsOverride) {
      rc.nameservers = rc.nameservers.filter((ns) => !isLoopback(ns) && (ipv6 || isIP(ns) !== 6));
      if (rc.nameservers.length === 0) {
        rc.nameservers = defaultNameservers(ipv6);
        notes.push("# Used default nameservers.");
      }
    }
  }

  const body: string[] = [];
  for (const ns of rc.nameservers) body.push(`nameserver ${ns}`);
  if (rc.search.length > 0) body.push(`search ${rc.search.join(" ")}`);
  if (rc.options.length > 0) body.push(`options ${rc.options.join(" ")}`);
  body.push(...rc.other);

  let content = body.map((l) => `${l}\n`).join("");
  if (opts.comments ?? true) {
    const trailer = [
      `# Based on host file: '${opts.sourcePath ?? "/etc/resolv.conf"}'${transform ? ` (${transform})` : ""}`,
    ];
    trailer.push(...notes);
    if (extServers.length > 0) {
      const list = extServers.map((s) => (s.hostLoopback ? `host(${s.address})` : s.address));
      trailer.push(`# ExtServers: [${list.join(" ")}]`);
    }
    if (rc.invalidNameservers.length > 0)
      trailer.push(`# Invalid nameservers: [${rc.invalidNameservers.join(" ")}]`);
    trailer.push(`# Overrides: [${overrides.join(" ")}]`);
    if (ndotsFrom) trailer.push(`# Option ndots from: ${ndotsFrom}`);
    content = `${opts.header ?? DEFAULT_HEADER}\n\n${content}\n${trailer.map((l) => `${l}\n`).join("")}`;
  }
  return { content, nameservers: [...rc.nameservers], extServers };
}

function defaultNameservers(ipv6: boolean): string[] {
  return ipv6 ? [...DEFAULT_IPV4_NAMESERVERS, ...DEFAULT_IPV6_NAMESERVERS] : [...DEFAULT_IPV4_NAMESERVERS];
}

/** Value of the last option named `name` ("" for a flag), undefined when absent. */
function findOption(options: readonly string[], name: string): string | undefined {
  for (let i = options.length - 1; i >= 0; i--) {
    const opt = options[i]!;
    const colon = opt.indexOf(":");
    const key = colon < 0 ? opt : opt.slice(0, colon);
    if (key === name) return colon < 0 ? "" : opt.slice(colon + 1);
  }
  return undefined;
}

function isInvalidNdots(opt: string): boolean {
  if (!opt.startsWith("ndots")) return false;
  const colon = opt.indexOf(":");
  if ((colon < 0 ? opt : opt.slice(0, colon)) !== "ndots") return false;
  return !/^\d+$/.test(colon < 0 ? "" : opt.slice(colon + 1));
}
