// Published ports: HostConfig.PortBindings / PublishAllPorts turned into concrete mappings, and
// host ports held open by wharfd while a container runs, so a port in use fails the start
// cleanly (as Docker's port allocator does) and ephemeral ports come from the kernel. A TCP port
// on an IPv6 host address, which the kernel cannot NAT to an IPv4 container, is relayed instead.
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, type Server } from "node:net";
import type { HostConfig } from "../../wire/containers.ts";
import { InvalidParameterError } from "../errors.ts";
import { isIPv6Address, relay, relayUdp } from "./port-proxy.ts";
import type { PortMapping } from "./store.ts";

export interface PortRequest {
  hostIP: string;
  /** Inclusive range; [0, 0] asks for any free port. */
  hostPorts: [number, number];
  containerPort: number;
  protocol: PortMapping["protocol"];
}

function parsePortKey(key: string): { port: number; protocol: PortMapping["protocol"] } {
  const [portText = "", proto = "tcp"] = key.split("/");
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new InvalidParameterError(`invalid port specification: "${key}"`);
  if (proto !== "tcp" && proto !== "udp" && proto !== "sctp") {
    throw new InvalidParameterError(`invalid proto: ${proto}`);
  }
  return { port, protocol: proto };
}

function parseHostPorts(text: string | undefined): [number, number] {
  // "" and "0" (Testcontainers sends it) both ask for any free port.
  if (!text || text === "0") return [0, 0];
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  const lo = Number(m?.[1]);
  const hi = Number(m?.[2] ?? m?.[1]);
  if (!m || lo < 1 || hi > 65535 || hi < lo)
    throw new InvalidParameterError(`invalid port specification: "${text}"`);
  return [lo, hi];
}

/** The port requests of a container: explicit bindings, plus EXPOSEd ports with -P. */
export function portRequests(
  hc: HostConfig,
  exposed: Record<string, unknown> | null | undefined,
): PortRequest[] {
  const bindings = (hc.PortBindings ?? {}) as Record<
    string,
    Array<{ HostIp?: string; HostPort?: string }> | null
  >;
  const out: PortRequest[] = [];
  const keys = new Set(Object.keys(bindings));
  if (hc.PublishAllPorts) for (const k of Object.keys(exposed ?? {})) keys.add(k);
  for (const key of [...keys].sort((a, b) => parseInt(a, 10) - parseInt(b, 10) || a.localeCompare(b))) {
    const { port, protocol } = parsePortKey(key);
    const list = bindings[key] && bindings[key]!.length > 0 ? bindings[key]! : [{}];
    for (const b of list) {
      out.push({
        hostIP: b.HostIp ?? "",
        hostPorts: parseHostPorts(b.HostPort),
        containerPort: port,
        protocol,
      });
    }
  }
  return out;
}

export class PortConflictError extends Error {}

type Holder = Server | UdpSocket;

/** Where connections to an IPv6 host address go: the container's IPv4 address and port. */
interface RelayTarget {
  host: string;
  port: number;
}

function hold(
  ip: string,
  port: number,
  protocol: PortMapping["protocol"],
  relayTo?: RelayTarget,
): Promise<{ holder: Holder; port: number }> {
  return new Promise((resolve, reject) => {
    if (relayTo && protocol === "tcp") {
      const server = createServer({ allowHalfOpen: true }, (conn) => relay(conn, relayTo.host, relayTo.port));
      server.once("error", reject);
      server.listen({ host: ip, port, exclusive: true, ipv6Only: true }, () => {
        const addr = server.address();
        resolve({ holder: server, port: typeof addr === "object" && addr ? addr.port : port });
      });
      return;
    }
    if (protocol === "udp") {
      const sock = createSocket({ type: relayTo ? "udp6" : "udp4", ipv6Only: relayTo !== undefined });
      sock.once("error", reject);
      sock.bind({ address: ip, port, exclusive: true }, () => {
        if (relayTo) relayUdp(sock, relayTo.host, relayTo.port);
        resolve({ holder: sock, port: sock.address().port });
      });
      return;
    }
    const server = createServer();
    server.once("error", reject);
    // Never accepts: published IPv4 traffic is DNATed to the container before it gets here.
    server.listen({ host: ip, port, exclusive: true, backlog: 1 }, () => {
      const addr = server.address();
      resolve({ holder: server, port: typeof addr === "object" && addr ? addr.port : port });
    });
  });
}

function release(h: Holder): void {
  if ("listen" in h) h.close();
  else h.close();
}

/** Host ports held per container. */
export class PortReservations {
  private readonly held = new Map<string, Holder[]>();

  /**
   * Binds every request (SCTP is not checked); on any failure nothing stays held. A TCP or UDP
   * port on an IPv6 host address relays to `containerIp` (see port-proxy.ts).
   */
  async reserve(
    containerId: string,
    requests: readonly PortRequest[],
    containerIp: string,
  ): Promise<PortMapping[]> {
    const holders: Holder[] = [];
    const mappings: PortMapping[] = [];
    try {
      for (const r of requests) {
        const ip = r.hostIP || "0.0.0.0";
        if (isIPv6Address(ip) && r.protocol === "sctp") {
          throw new InvalidParameterError(
            `publishing ${r.protocol} port ${r.containerPort} on IPv6 host address ${ip} is not supported`,
          );
        }
        const relayTo = isIPv6Address(ip) ? { host: containerIp, port: r.containerPort } : undefined;
        if (r.protocol === "sctp") {
          mappings.push({
            hostIP: r.hostIP,
            hostPort: r.hostPorts[0],
            containerPort: r.containerPort,
            protocol: r.protocol,
          });
          continue;
        }
        let got: { holder: Holder; port: number } | undefined;
        let lastErr: unknown;
        for (let p = r.hostPorts[0]; p <= r.hostPorts[1]; p++) {
          try {
            got = await hold(ip, p, r.protocol, relayTo);
            break;
          } catch (err) {
            lastErr = err;
          }
        }
        if (!got) {
          const code = (lastErr as NodeJS.ErrnoException | undefined)?.code;
          const port =
            r.hostPorts[0] === r.hostPorts[1]
              ? String(r.hostPorts[0])
              : `${r.hostPorts[0]}-${r.hostPorts[1]}`;
          if (code === "EADDRNOTAVAIL") {
            throw new PortConflictError(
              `listen ${r.protocol} ${ip}:${port}: bind: cannot assign requested address`,
            );
          }
          throw new PortConflictError(`Bind for ${ip}:${port} failed: port is already allocated`);
        }
        holders.push(got.holder);
        mappings.push({
          hostIP: r.hostIP,
          hostPort: got.port,
          containerPort: r.containerPort,
          protocol: r.protocol,
        });
        if (!r.hostIP) {
          // As Docker: no host IP means IPv6 too — the same port on [::], relayed. Best effort:
          // a host without IPv6, or with [::]:port taken, keeps the IPv4 binding alone.
          const twin = await hold("::", got.port, r.protocol, {
            host: containerIp,
            port: r.containerPort,
          }).catch(() => undefined);
          if (twin) {
            holders.push(twin.holder);
            mappings.push({ ...(mappings.at(-1) as PortMapping), hostIP: "::", relayOnly: true });
          }
        }
      }
    } catch (err) {
      for (const h of holders) release(h);
      throw err;
    }
    this.releaseAll(containerId);
    this.held.set(containerId, holders);
    return mappings;
  }

  /** Holds already chosen ports again (after a daemon restart); failures are reported, not fatal. */
  async restore(
    containerId: string,
    mappings: ReadonlyArray<PortMapping & { containerIp: string }>,
  ): Promise<string[]> {
    const holders: Holder[] = [];
    const errors: string[] = [];
    for (const m of mappings) {
      if (m.protocol === "sctp") continue;
      const ip = m.hostIP || "0.0.0.0";
      const relayTo = isIPv6Address(ip) ? { host: m.containerIp, port: m.containerPort } : undefined;
      try {
        holders.push((await hold(ip, m.hostPort, m.protocol, relayTo)).holder);
      } catch (err) {
        errors.push(`${m.hostIP || "0.0.0.0"}:${m.hostPort}/${m.protocol}: ${(err as Error).message}`);
      }
    }
    this.held.set(containerId, holders);
    return errors;
  }

  releaseAll(containerId: string): void {
    for (const h of this.held.get(containerId) ?? []) release(h);
    this.held.delete(containerId);
  }
}
