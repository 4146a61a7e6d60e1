// A TCP relay from a host port to a container's IPv4 address, for ports published on an IPv6
// host address: the kernel cannot NAT IPv6 traffic to an IPv4 container (nor anything from ::1),
// so, as Docker's docker-proxy does there, wharfd accepts on the port it holds anyway and relays.
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

export function isIPv6Address(ip: string): boolean {
  return ip.includes(":");
}
