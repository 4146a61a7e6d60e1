// Where and how to reach a registry: HTTPS by default; insecure registries (daemon.json
// "insecure-registries", plus 127.0.0.0/8 and ::1 as Docker implies) are tried over HTTPS
// without verification, then plain HTTP. Per-registry CAs and client certificates come from
// /etc/docker/certs.d/<host>/ (*.crt = CA, *.cert + *.key = client pair), as Docker reads them.
import { readdirSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import { apiHost, dockerHub } from "../../util/reference.ts";

export interface RegistryHostsOptions {
  /** Hosts ("myreg:5000"), hostnames, or CIDRs ("10.0.0.0/8"). */
  insecureRegistries?: readonly string[];
  /** Mirrors for docker.io, tried in order before Docker Hub itself. */
  mirrors?: readonly string[];
  /** Directories holding <host>/ certificate folders. */
  certsDirs?: readonly string[];
}

export interface TlsMaterial {
  ca?: string[];
  cert?: string;
  key?: string;
}

export interface Endpoint {
  /** "https://registry-1.docker.io" — no trailing slash. */
  base: string;
  /** Skip TLS verification (an insecure registry reached over https). */
  insecureTls: boolean;
  /** A plain-http fallback exists for this endpoint (insecure registries only). */
  fallbackHttp: boolean;
  tls: TlsMaterial;
  /** Mirrors take no pushes and may fall through to the next endpoint. */
  mirror: boolean;
}

export const defaultCertsDirs = ["/etc/docker/certs.d", "/etc/wharf/certs.d"];
const impliedInsecure = ["127.0.0.0/8", "::1/128"];

function ipv4ToInt(ip: string): number {
  return ip.split(".").reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;
}

function expandIpv6(ip: string): bigint {
  const [head = "", tail = ""] = ip.split("::");
  const h = head ? head.split(":") : [];
  const t = ip.includes("::") ? (tail ? tail.split(":") : []) : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.reduce((n, g) => (n << 16n) + BigInt(Number.parseInt(g || "0", 16)), 0n);
}

/** Whether an IP literal lies in a CIDR ("127.0.0.0/8"). */
export function inCidr(ip: string, cidr: string): boolean {
  const [net = "", bitsText = ""] = cidr.split("/");
  const bits = Number(bitsText);
  if (isIP(ip) === 4 && isIP(net) === 4) {
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    return (ipv4ToInt(ip) & mask) === (ipv4ToInt(net) & mask);
  }
  if (isIP(ip) === 6 && isIP(net) === 6) {
    const shift = BigInt(128 - bits);
    return expandIpv6(ip) >> shift === expandIpv6(net) >> shift;
  }
  return false;
}

/** "host:5000" → "host"; "[::1]:5000" → "::1". */
export function hostnameOf(host: string): string {
  if (host.startsWith("[")) return host.slice(1, host.indexOf("]"));
  const colon = host.lastIndexOf(":");
  return colon >= 0 && isIP(host) !== 6 ? host.slice(0, colon) : host;
}

export class RegistryHosts {
  private readonly insecure: readonly string[];
  private readonly mirrors: readonly string[];
  private readonly certsDirs: readonly string[];

  constructor(opts: RegistryHostsOptions = {}) {
    this.insecure = [...impliedInsecure, ...(opts.insecureRegistries ?? [])];
    this.mirrors = (opts.mirrors ?? []).map((m) => m.replace(/\/+$/, ""));
    this.certsDirs = opts.certsDirs ?? defaultCertsDirs;
  }

  /** Docker's isSecureIndex, without DNS lookups: literal hosts, hostnames, and IPs in CIDRs. */
  isInsecure(domain: string): boolean {
    const name = hostnameOf(domain);
    const ip = name === "localhost" ? "127.0.0.1" : name;
    return this.insecure.some((entry) => {
      if (entry.includes("/")) return isIP(ip) !== 0 && inCidr(ip, entry);
      return entry === domain || entry === name;
    });
  }

  /** Endpoints to try for pulls, in order (mirrors first for docker.io). */
  pullEndpoints(domain: string): Endpoint[] {
    const own = this.endpoint(domain);
    if (domain !== dockerHub) return [own];
    return [
      ...this.mirrors.map((m) => {
        const url = new URL(m);
        return {
          base: `${url.protocol}//${url.host}`,
          insecureTls: this.isInsecure(url.host),
          fallbackHttp: false,
          tls: this.tlsFor(url.host),
          mirror: true,
        };
      }),
      own,
    ];
  }

  endpoint(domain: string): Endpoint {
    const host = apiHost(domain);
    const insecure = this.isInsecure(domain);
    return {
      base: `https://${host}`,
      insecureTls: insecure,
      fallbackHttp: insecure,
      tls: this.tlsFor(host),
      mirror: false,
    };
  }

  /** CA and client certificates from <certsDir>/<host>/ (a missing folder is no error). */
  tlsFor(host: string): TlsMaterial {
    const out: TlsMaterial = {};
    for (const dir of this.certsDirs) {
      const folder = join(dir, host);
      let names: string[];
      try {
        names = readdirSync(folder).sort();
      } catch {
        continue;
      }
      for (const name of names) {
        if (name.endsWith(".crt")) out.ca = [...(out.ca ?? []), readFileSync(join(folder, name), "utf8")];
        if (name.endsWith(".cert")) {
          const key = name.replace(/\.cert$/, ".key");
          if (names.includes(key)) {
            out.cert = readFileSync(join(folder, name), "utf8");
            out.key = readFileSync(join(folder, key), "utf8");
          }
        }
      }
    }
    return out;
  }
}
