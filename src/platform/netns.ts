// Persistent network namespaces (a bind-mounted nsfs file, as `ip netns` makes them) and the
// host-side links wharf owns: bridges, their addresses, routes and forwarding sysctls.
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { execFile, run } from "./exec.ts";
import { isMounted } from "./mount.ts";

/** Creates a network namespace pinned at `path`, with its loopback up. */
export async function createNetns(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, "", { mode: 0o600 });
  try {
    // unshare binds the new namespace onto `path`, then runs `ip` inside it.
    await run("unshare", [`--net=${path}`, "ip", "link", "set", "lo", "up"]);
  } catch (err) {
    await removeNetns(path);
    throw err;
  }
}

/** Unpins and deletes a namespace file; the namespace dies with its last user. */
export async function removeNetns(path: string): Promise<void> {
  if (isMounted(path)) await run("umount", ["-l", path]);
  await rm(path, { force: true });
}

export function netnsExists(path: string): boolean {
  return isMounted(path);
}

/** Runs a command inside a pinned namespace. */
export function runInNetns(path: string, cmd: string, args: string[]): Promise<string> {
  return run("nsenter", [`--net=${path}`, cmd, ...args]);
}

export function linkExists(name: string): boolean {
  try {
    readFileSync(`/sys/class/net/${name}/ifindex`);
    return true;
  } catch {
    return false;
  }
}

/** Creates (or adopts) a bridge with `address` (e.g. "10.0.0.1/24") and brings it up. */
export async function ensureBridge(name: string, address: string, mtu: number): Promise<void> {
  if (!linkExists(name)) {
    const added = await execFile("ip", ["link", "add", name, "type", "bridge"]);
    if (added.code !== 0 && !linkExists(name))
      throw new Error(`creating bridge ${name}: ${added.stderr.trim()}`);
  }
  if (mtu > 0) await run("ip", ["link", "set", name, "mtu", String(mtu)]);
  const addrs = await run("ip", ["-4", "-o", "addr", "show", "dev", name]);
  if (!addrs.includes(` ${address} `)) {
    const res = await execFile("ip", ["addr", "add", address, "dev", name]);
    if (res.code !== 0 && !/File exists/.test(res.stderr)) {
      throw new Error(`adding ${address} to ${name}: ${res.stderr.trim()}`);
    }
  }
  await run("ip", ["link", "set", name, "up"]);
}

/** Adds an IPv6 address to a link (IPv6 enabled on it, no duplicate address detection). */
export async function ensureAddress6(name: string, address: string): Promise<void> {
  await setSysctl(`net.ipv6.conf.${name}.disable_ipv6`, "0").catch(() => undefined);
  const res = await execFile("ip", ["-6", "addr", "add", address, "dev", name, "nodad"]);
  if (res.code !== 0 && !/File exists|already assigned/.test(res.stderr)) {
    throw new Error(`adding ${address} to ${name}: ${res.stderr.trim()}`);
  }
}

export async function deleteLink(name: string): Promise<void> {
  if (!linkExists(name)) return;
  const res = await execFile("ip", ["link", "del", name]);
  if (res.code !== 0 && linkExists(name)) throw new Error(`deleting ${name}: ${res.stderr.trim()}`);
}

/** Interfaces enslaved to a bridge (its veths). */
export function bridgePorts(bridge: string): string[] {
  try {
    return readdirSync(`/sys/class/net/${bridge}/brif`);
  } catch {
    return [];
  }
}

/** IPv4 routes of the host's main table as "a.b.c.d/n" with their device. */
export async function hostRoutes(): Promise<Array<{ dst: string; dev: string }>> {
  const out = await run("ip", ["-4", "-j", "route", "show", "table", "all"]);
  const routes = JSON.parse(out || "[]") as Array<{ dst: string; dev?: string; type?: string }>;
  return routes
    .filter((r) => r.dst !== "default" && (r.type === undefined || r.type === "unicast"))
    .map((r) => ({ dst: r.dst.includes("/") ? r.dst : `${r.dst}/32`, dev: r.dev ?? "" }));
}

/** IPv4 addresses with prefixes assigned to host interfaces. */
export async function hostAddresses(): Promise<Array<{ cidr: string; dev: string }>> {
  const out = await run("ip", ["-4", "-j", "addr", "show"]);
  const links = JSON.parse(out || "[]") as Array<{
    ifname: string;
    addr_info?: Array<{ local: string; prefixlen: number }>;
  }>;
  return links.flatMap((l) =>
    (l.addr_info ?? []).map((a) => ({ cidr: `${a.local}/${a.prefixlen}`, dev: l.ifname })),
  );
}

export async function setSysctl(key: string, value: string): Promise<void> {
  await writeFile(`/proc/sys/${key.replace(/\./g, "/")}`, value);
}

export function readSysctl(key: string): string {
  try {
    return readFileSync(`/proc/sys/${key.replace(/\./g, "/")}`, "utf8").trim();
  } catch {
    return "";
  }
}
