// TCP and UDP relays from a host port to a container's IPv4 address, for ports published on an
// IPv6 host address: the kernel cannot NAT IPv6 traffic to an IPv4 container (nor anything from
// ::1), so, as Docker's docker-proxy does there, wharfd receives on the port it holds and relays.
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from "node:dgram";
import { connect, type Socket } from "node:net";

/** Relays one accepted connection to host:port; either side failing or closing ends both. */
export function relay(client: Socket, host: string, port: number): void {
  const upstream = connect({ host, port, allowHalfOpen: true });
  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on("error", end);
  upstream.on("error", end);
  client.on("close", end);
  upstream.on("close", end);
  // Half-closes travel through: a client done sending still gets the whole answer.
  client.pipe(upstream);
  upstream.pipe(client);
}

/** A UDP peer's flow is forgotten after this long without traffic (docker-proxy uses 90 s). */
const UDP_FLOW_IDLE_MS = 90_000;

/**
 * Relays datagrams arriving on `front` to host:port, each client (address and port) through a
 * socket of its own so the answers find their way back; a flow idle for 90 s is closed, and
 * closing `front` closes them all.
 */
export function relayUdp(front: UdpSocket, host: string, port: number): void {
  const flows = new Map<string, { socket: UdpSocket; timer: NodeJS.Timeout }>();
  const forget = (key: string) => {
    const flow = flows.get(key);
    if (!flow) return;
    flows.delete(key);
    clearTimeout(flow.timer);
    flow.socket.close();
  };
  front.on("message", (msg: Buffer, from: RemoteInfo) => {
    const key = `[${from.address}]:${from.port}`;
    let flow = flows.get(key);
    if (!flow) {
      const socket = createSocket("udp4");
      socket.on("message", (answer: Buffer) => front.send(answer, from.port, from.address));
      socket.on("error", () => forget(key));
      flow = { socket, timer: setTimeout(() => forget(key), UDP_FLOW_IDLE_MS) };
      flows.set(key, flow);
    }
    flow.timer.refresh();
    flow.socket.send(msg, port, host);
  });
  front.on("close", () => {
    for (const key of [...flows.keys()]) forget(key);
  });
}

export function isIPv6Address(ip: string): boolean {
  return ip.includes(":");
}
