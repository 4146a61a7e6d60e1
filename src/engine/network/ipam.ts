// IPv4 address arithmetic for IPAM: CIDR parsing, overlap checks, subnet carving from address
// pools and address allocation. Pure: the caller supplies what is already in use.

export interface Cidr {
  /** Network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

export class IpamError extends Error {
  override name = "IpamError";
}

export function parseIPv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return (((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) >>> 0;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses "a.b.c.d/n"; `strict` refuses host bits (Docker's subnets keep them, masking later). */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const ip = parseIPv4(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (ip === undefined || !/^\d{1,2}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > 32) return undefined;
  return { base: (ip & mask(prefix)) >>> 0, prefix };
}

/** Like parseCidr, but also returns the address written before the slash (for --bip). */
export function parseIpWithPrefix(text: string): { ip: number; cidr: Cidr } | undefined {
  const cidr = parseCidr(text);
  const ip = parseIPv4(text.slice(0, text.indexOf("/")));
  return cidr && ip !== undefined ? { ip, cidr } : undefined;
}

export function formatCidr(c: Cidr): string {
  return `${formatIPv4(c.base)}/${c.prefix}`;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function contains(c: Cidr, ip: number): boolean {
  return (ip & mask(c.prefix)) >>> 0 === c.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return (a.base & mask(p)) >>> 0 === (b.base & mask(p)) >>> 0;
}

export function isIPv4Cidr(text: string): boolean {
  return /^[\d.]+\/\d+$/.test(text);
}

export interface AddressPool {
  base: string;
  size: number;
}

/** The first subnet of `size` bits carved from the pools that overlaps none of `used`. */
export function pickSubnet(pools: readonly AddressPool[], used: readonly Cidr[]): Cidr | undefined {
  for (const pool of pools) {
    const base = parseCidr(pool.base);
    if (!base || pool.size < base.prefix || pool.size > 30) continue;
    const step = 2 ** (32 - pool.size);
    for (let n = base.base; n < base.base + size(base); n += step) {
      const candidate = { base: n >>> 0, prefix: pool.size };
      if (!used.some((u) => overlaps(u, candidate))) return candidate;
    }
  }
  return undefined;
}

/** The address range containers get addresses from: IPRange when set, else the whole subnet. */
export interface AllocationPool {
  subnet: Cidr;
  range: Cidr;
  gateway: number;
  /** Addresses never handed out (the gateway and AuxiliaryAddresses). */
  reserved: readonly number[];
}

/** Lowest free host address in the pool's range (network and broadcast excluded). */
export function allocate(pool: AllocationPool, inUse: ReadonlySet<number>): number | undefined {
  const first = Math.max(pool.range.base, pool.subnet.base + 1);
  const last = Math.min(pool.range.base + size(pool.range) - 1, pool.subnet.base + size(pool.subnet) - 2);
  for (let ip = first; ip <= last; ip++) {
    if (ip === pool.gateway || pool.reserved.includes(ip) || inUse.has(ip)) continue;
    return ip >>> 0;
  }
  return undefined;
}

/** Docker's MAC for an IPv4 address: 02:42 followed by the address bytes. */
export function macFromIPv4(ip: number): string {
  const bytes = [0x02, 0x42, ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}
