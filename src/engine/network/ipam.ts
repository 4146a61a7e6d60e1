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

// ---- IPv6 (128-bit values as bigint) ------------------------------------------------------

export interface Cidr6 {
  base: bigint;
  prefix: number;
}

const ALL128 = (1n << 128n) - 1n;

export function parseIPv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(text) || text.split("::").length > 2) return undefined;
  const [head = "", tail] = text.split("::");
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const missing = 8 - h.length - t.length;
  if ((tail === undefined && missing !== 0) || missing < 0) return undefined;
  const all = [...h, ...Array<string>(tail === undefined ? 0 : missing).fill("0"), ...t];
  if (all.length !== 8 || all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return all.reduce((acc, g) => (acc << 16n) | BigInt(`0x${g}`), 0n);
}

/** RFC 5952 text: lower case, the longest run of zero groups as "::". */
export function formatIPv6(n: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

function mask6(prefix: number): bigint {
  return prefix === 0 ? 0n : (ALL128 << BigInt(128 - prefix)) & ALL128;
}

export function parseCidr6(text: string): Cidr6 | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const ip = parseIPv6(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (ip === undefined || !/^\d{1,3}$/.test(prefixText) || Number(prefixText) > 128) return undefined;
  const prefix = Number(prefixText);
  return { base: ip & mask6(prefix), prefix };
}

export function formatCidr6(c: Cidr6): string {
  return `${formatIPv6(c.base)}/${c.prefix}`;
}

export function contains6(c: Cidr6, ip: bigint): boolean {
  return (ip & mask6(c.prefix)) === c.base;
}

export function overlaps6(a: Cidr6, b: Cidr6): boolean {
  const m = mask6(Math.min(a.prefix, b.prefix));
  return (a.base & m) === (b.base & m);
}

/** Lowest free address after the subnet's first (the anycast address) and the gateway. */
export function allocate6(subnet: Cidr6, gateway: bigint, inUse: ReadonlySet<bigint>): bigint | undefined {
  const last = subnet.base | (~mask6(subnet.prefix) & ALL128);
  for (let ip = subnet.base + 1n; ip <= last && ip < subnet.base + 65536n; ip++) {
    if (ip !== gateway && !inUse.has(ip)) return ip;
  }
  return undefined;
}
