// Where the daemon listens: `-H`, then WHARF_HOST, then DOCKER_HOST, then the default socket.
// (The CLI first picks a docker context, src/client/contexts.ts; this is the "default" one.)
// Docker's forms: unix:///path, tcp://host[:port] (2375, or 2376 with TLS), a bare /path.

export const defaultHost = "unix:///run/wharf/wharf.sock";

export type DaemonHost =
  | { kind: "unix"; socketPath: string; url: string }
  | { kind: "tcp"; host: string; port: number; url: string };

export class HostError extends Error {}

/** The host to use: the flag wins over the environment, which wins over the default. */
export function resolveHost(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.WHARF_HOST || env.DOCKER_HOST || defaultHost;
}

export function parseHost(raw: string, tls = false): DaemonHost {
  const value = raw.trim();
  if (value.startsWith("/")) return { kind: "unix", socketPath: value, url: `unix://${value}` };
  const scheme = /^([a-z0-9+]+):\/\/(.*)$/i.exec(value);
  if (!scheme) throw new HostError(`unable to parse docker host \`${raw}\``);
  const proto = (scheme[1] as string).toLowerCase();
  const rest = scheme[2] as string;
  if (proto === "unix") {
    if (!rest) throw new HostError(`unable to parse docker host \`${raw}\``);
    return { kind: "unix", socketPath: rest, url: `unix://${rest}` };
  }
  if (proto === "tcp" || proto === "http" || proto === "https") {
    const hostPort = rest.replace(/\/.*$/, "");
    const m = /^(\[[^\]]+\]|[^:]*)(?::(\d+))?$/.exec(hostPort);
    if (!m) throw new HostError(`unable to parse docker host \`${raw}\``);
    const host = (m[1] || "127.0.0.1").replace(/^\[|\]$/g, "");
    const port = m[2] ? Number(m[2]) : tls || proto === "https" ? 2376 : 2375;
    return { kind: "tcp", host, port, url: `tcp://${m[1] || "127.0.0.1"}:${port}` };
  }
  throw new HostError(`protocol not available: ${proto}`);
}
