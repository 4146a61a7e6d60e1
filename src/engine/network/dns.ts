// The embedded DNS server of user-defined networks: a UDP socket and a TCP listener (for
// answers too large for UDP) on each network's gateway address. Names of containers (name, aliases, short ID) on the networks the asking container
// shares are answered here, A records in random order (round robin); everything else is
// forwarded to the host's resolvers and relayed back unchanged.
import { createSocket, type Socket } from "node:dgram";
import { connect, createServer, type Server } from "node:net";
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
  private readonly sockets = new Map<string, { udp: Socket; tcp: Server }>();

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
      void this.answer(networkId, msg, rinfo.address, "udp")
        .then((reply) => reply && sock.send(reply, rinfo.port, rinfo.address))
        .catch((err: Error) => log.debug("embedded DNS query failed", { err }));
    });
    let tcp: Server;
    try {
      tcp = await this.listenTcp(networkId, address);
    } catch (err) {
      sock.close();
      throw err;
    }
    this.sockets.set(networkId, { udp: sock, tcp });
  }

  /** DNS over TCP: each message framed by a 2-byte length (RFC 1035 4.2.2). */
  private listenTcp(networkId: string, address: string): Promise<Server> {
    const server = createServer((conn) => {
      let buf = Buffer.alloc(0);
      conn.setTimeout(10_000, () => conn.destroy());
      conn.on("error", () => undefined);
      conn.on("data", (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
          buf = buf.subarray(2 + msg.length);
          void this.answer(networkId, msg, conn.remoteAddress ?? "", "tcp").then((reply) => {
            if (reply && !conn.destroyed) conn.write(frame(reply));
          });
        }
      });
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: address, port: 53, exclusive: true }, () => {
        server.off("error", reject);
        resolve(server);
      });
    });
  }

  close(networkId: string): void {
    const s = this.sockets.get(networkId);
    s?.udp.close();
    s?.tcp.close();
    this.sockets.delete(networkId);
  }

  closeAll(): void {
    for (const id of [...this.sockets.keys()]) this.close(id);
  }

  /** The reply to one query from `host`; undefined for what is not a DNS query. */
  private async answer(
    networkId: string,
    msg: Buffer,
    host: string,
    transport: "udp" | "tcp",
  ): Promise<Buffer | undefined> {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return undefined;
    }
    const q = query.questions?.[0];
    if (!q) return undefined;
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
      return dnsPacket.encode({
        id: query.id,
        type: "response",
        flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | dnsPacket.AUTHORITATIVE_ANSWER,
        questions: [q],
        answers,
      });
    }
    const upstreams = this.names.upstreams(host);
    const forwarded = transport === "udp" ? await forward(msg, upstreams) : await forwardTcp(msg, upstreams);
    return forwarded ?? servfail(query);
  }
}

function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

/** Forwards over TCP (for clients retrying a truncated answer). */
async function forwardTcp(msg: Buffer, upstreams: readonly string[]): Promise<Buffer | undefined> {
  for (const server of upstreams) {
    const reply = await new Promise<Buffer | undefined>((resolve) => {
      const conn = connect({ host: server, port: 53 });
      let buf = Buffer.alloc(0);
      const done = (b: Buffer | undefined) => {
        clearTimeout(timer);
        conn.destroy();
        resolve(b);
      };
      const timer = setTimeout(() => done(undefined), FORWARD_TIMEOUT_MS);
      conn.on("error", () => done(undefined));
      conn.on("connect", () => conn.write(frame(msg)));
      conn.on("data", (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0))
          done(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      });
      conn.on("end", () => done(undefined));
    });
    if (reply) return reply;
  }
  return undefined;
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
