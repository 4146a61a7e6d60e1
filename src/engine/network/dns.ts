// The embedded DNS server of user-defined networks: one UDP socket on each network's gateway
// address. Names of containers (name, aliases, short ID) on the networks the asking container
// shares are answered here, A records in random order (round robin); everything else is
// forwarded to the host's resolvers and relayed back unchanged.
import { createSocket, type Socket } from "node:dgram";
import dnsPacket from "dns-packet";
import { log } from "../../util/log.ts";

export interface DnsNames {
  /** IPv4 and IPv6 addresses `name` stands for as seen by the client at `clientIp` on `networkId`. */
  lookup(networkId: string, clientIp: string, name: string): string[] | undefined;
  /** Upstream resolvers for other names asked by `clientIp` (its --dns, else the host's). */
  upstreams(clientIp: string): string[];
}

const TTL = 600;
const FORWARD_TIMEOUT_MS = 4000;

export class EmbeddedDns {
  private readonly names: DnsNames;
  private readonly sockets = new Map<string, Socket>();

  constructor(names: DnsNames) {
    this.names = names;
  }

  /** Serves the network's names on `address`:53 (idempotent). */
  async listen(networkId: string, address: string): Promise<void> {
    if (this.sockets.has(networkId)) return;
    const sock = createSocket({ type: "udp4", reuseAddr: false });
    await new Promise<void>((resolve, reject) => {
      sock.once("error", reject);
      sock.bind(53, address, () => {
        sock.off("error", reject);
        resolve();
      });
    });
    sock.on("error", (err) => log.warn("embedded DNS socket error", { networkId, err }));
    sock.on("message", (msg, rinfo) => {
      void this.answer(networkId, sock, msg, rinfo.address, rinfo.port).catch((err: Error) =>
        log.debug("embedded DNS query failed", { err }),
      );
    });
    this.sockets.set(networkId, sock);
  }

  close(networkId: string): void {
    this.sockets.get(networkId)?.close();
    this.sockets.delete(networkId);
  }

  closeAll(): void {
    for (const id of [...this.sockets.keys()]) this.close(id);
  }

  private async answer(
    networkId: string,
    sock: Socket,
    msg: Buffer,
    host: string,
    port: number,
  ): Promise<void> {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const q = query.questions?.[0];
    if (!q) return;
    const name = q.name.replace(/\.$/, "");
    const ips = this.names.lookup(networkId, host, name);
    if (ips !== undefined) {
      const wanted =
        q.type === "A"
          ? ips.filter((ip) => !ip.includes(":"))
          : q.type === "AAAA"
            ? ips.filter((ip) => ip.includes(":"))
            : [];
      const answers = shuffle(wanted).map((ip) => ({
        name: q.name,
        type: ip.includes(":") ? ("AAAA" as const) : ("A" as const),
        class: "IN" as const,
        ttl: TTL,
        data: ip,
      }));
      const reply = dnsPacket.encode({
        id: query.id,
        type: "response",
        flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | dnsPacket.AUTHORITATIVE_ANSWER,
        questions: [q],
        answers,
      });
      sock.send(reply, port, host);
      return;
    }
    const forwarded = await forward(msg, this.names.upstreams(host));
    sock.send(forwarded ?? servfail(query), port, host);
  }
}

function servfail(query: dnsPacket.Packet): Buffer {
  return dnsPacket.encode({
    id: query.id,
    type: "response",
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | 2, // rcode SERVFAIL
    questions: query.questions ?? [],
  });
}

/** Asks each upstream in turn; undefined when none answers in time. */
async function forward(msg: Buffer, upstreams: readonly string[]): Promise<Buffer | undefined> {
  for (const server of upstreams) {
    const reply = await new Promise<Buffer | undefined>((resolve) => {
      const sock = createSocket(server.includes(":") ? "udp6" : "udp4");
      const done = (buf: Buffer | undefined) => {
        clearTimeout(timer);
        sock.close();
        resolve(buf);
      };
      const timer = setTimeout(() => done(undefined), FORWARD_TIMEOUT_MS);
      sock.on("error", () => done(undefined));
      sock.on("message", (buf) => done(buf));
      sock.send(msg, 53, server);
    });
    if (reply) return reply;
  }
  return undefined;
}

function shuffle<T>(list: readonly T[]): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
