// docker ps's PORTS column (formatter.DisplayablePorts): ports published on their own number
// are collapsed into ranges per IP and protocol, other mappings are listed one by one at the end.

export interface PortSummary {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

/** net.JoinHostPort: IPv6 addresses go in brackets. */
function joinHostPort(host: string, port: string): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function comparePorts(a: PortSummary, b: PortSummary): number {
  if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
  const ipA = a.IP ?? "";
  const ipB = b.IP ?? "";
  if (ipA !== ipB) return ipA < ipB ? -1 : 1;
  if ((a.PublicPort ?? 0) !== (b.PublicPort ?? 0)) return (a.PublicPort ?? 0) - (b.PublicPort ?? 0);
  return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
}

function formGroup(key: string, first: number, last: number): string {
  const slash = key.lastIndexOf("/");
  const ip = slash >= 0 ? key.slice(0, slash) : "";
  const type = slash >= 0 ? key.slice(slash + 1) : key;
  let group = first === last ? String(first) : `${first}-${last}`;
  if (ip !== "") group = `${joinHostPort(ip, group)}->${group}`;
  return `${group}/${type}`;
}

/** e.g. "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp" or "80/tcp, 443/tcp". */
export function portsColumn(ports: readonly PortSummary[]): string {
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  for (const port of [...ports].sort(comparePorts)) {
    const current = port.PrivatePort;
    let key = port.Type;
    if (port.IP) {
      const pub = port.PublicPort ?? 0;
      if (pub !== current) {
        hostMappings.push(`${joinHostPort(port.IP, String(pub))}->${current}/${port.Type}`);
        continue;
      }
      key = `${port.IP}/${port.Type}`;
    }
    const group = groups.get(key);
    if (!group) {
      groups.set(key, { first: current, last: current });
    } else if (current === group.last + 1) {
      group.last = current;
    } else {
      // A gap ends the range: it is listed now, before the ranges still open.
      result.push(formGroup(key, group.first, group.last));
      groups.set(key, { first: current, last: current });
    }
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  return [...result, ...hostMappings].join(", ");
}
