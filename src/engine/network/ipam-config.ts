// IPAM configuration of bridge networks: the IPv4 and IPv6 entries of a create request checked
// (Docker's error texts) or chosen from the address pools, and the addresses a record implies.

import type { NetworkCreateRequest } from "../../wire/networks.ts";
import { ConflictError, EngineError, InvalidParameterError } from "../errors.ts";
import {
  type AddressPool,
  type Cidr,
  type Cidr6,
  contains,
  contains6,
  formatCidr,
  formatIPv4,
  formatIPv6,
  overlaps,
  overlaps6,
  parseCidr,
  parseCidr6,
  parseIPv4,
  parseIPv6,
  pickSubnet,
} from "./ipam.ts";
import type { IpamConfigEntry, NetworkRecord } from "./store.ts";

/** Validated IPAM config: the user's IPv4 entries, or a free pool subnet. */
export function ipv4Request(
  req: NetworkCreateRequest,
  used: readonly Cidr[],
  pools: readonly AddressPool[],
): { config: IpamConfigEntry[]; user: boolean } {
  const entries = (req.IPAM?.Config ?? []).filter((c) => c && (c.Subnet || c.Gateway || c.IPRange));
  const v4 = entries.filter((c) => !(c.Subnet ?? "").includes(":"));
  if (v4.length > 1) throw new InvalidParameterError("wharf supports one IPv4 subnet per network");
  if (v4.length === 0) {
    if (entries.some((c) => !c.Subnet))
      throw new InvalidParameterError("ip-range and gateway require a subnet");
    const subnet = pickSubnet(pools, used);
    if (!subnet) {
      throw new EngineError(
        "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network",
      );
    }
    return {
      config: [{ Subnet: formatCidr(subnet), Gateway: formatIPv4(subnet.base + 1) }, ...entries],
      user: false,
    };
  }
  const c = v4[0]!;
  if (!c.Subnet) throw new InvalidParameterError("ip-range and gateway require a subnet");
  const subnet = parseCidr(c.Subnet);
  if (!subnet)
    throw new InvalidParameterError(`Invalid subnet ${c.Subnet} : invalid CIDR address: ${c.Subnet}`);
  if (subnet.prefix > 30) throw new InvalidParameterError(`invalid subnet ${c.Subnet}: prefix too long`);
  const gateway = c.Gateway ? parseIPv4(c.Gateway) : subnet.base + 1;
  if (gateway === undefined) throw new InvalidParameterError(`invalid gateway address: ${c.Gateway}`);
  if (!contains(subnet, gateway)) {
    throw new InvalidParameterError(
      `failed to allocate gateway (${c.Gateway}): Requested address is out of range`,
    );
  }
  if (c.IPRange) {
    const range = parseCidr(c.IPRange);
    if (!range)
      throw new InvalidParameterError(`Invalid ip-range ${c.IPRange} : invalid CIDR address: ${c.IPRange}`);
    if (!contains(subnet, range.base) || range.prefix < subnet.prefix) {
      throw new InvalidParameterError(`Invalid ip-range ${c.IPRange}: ip-range is not in subnet ${c.Subnet}`);
    }
  }
  for (const [host, addr] of Object.entries(c.AuxiliaryAddresses ?? {})) {
    const ip = parseIPv4(addr);
    if (ip === undefined || !contains(subnet, ip)) {
      throw new InvalidParameterError(
        `invalid auxiliary address ${host}=${addr}: not in the subnet ${c.Subnet}`,
      );
    }
  }
  const clash = used.find((u) => overlaps(u, subnet));
  if (clash) {
    throw new ConflictError("Pool overlaps with other one on this address space");
  }
  return {
    // Inspect shows what the user gave (Docker leaves out a gateway it chose itself).
    config: [{ ...c }, ...entries.filter((e) => e !== c)],
    user: true,
  };
}

/** Checks the IPv6 entry of an EnableIPv6 network, or adds a ULA /64 when none was given. */
export function withIPv6(
  req: NetworkCreateRequest,
  id: string,
  config: IpamConfigEntry[],
  others: readonly NetworkRecord[],
): IpamConfigEntry[] {
  const v6 = config.filter((c) => (c.Subnet ?? "").includes(":"));
  // Without EnableIPv6 an IPv6 entry is kept in the record but not used (Docker 20.10 too).
  if (!req.EnableIPv6) return config;
  if (v6.length > 1) throw new InvalidParameterError("wharf supports one IPv6 subnet per network");
  if (v6.length === 0) {
    // Docker picks from fd00::/8 too: a /64 from the network ID's bits.
    const h = id.slice(0, 10);
    const subnet = `fd${h.slice(0, 2)}:${h.slice(2, 6)}:${h.slice(6, 10)}::/64`;
    return [...config, { Subnet: subnet, Gateway: formatIPv6((parseIPv6(subnet.slice(0, -3)) ?? 0n) + 1n) }];
  }
  const c = v6[0]!;
  const subnet = parseCidr6(c.Subnet ?? "");
  if (!subnet)
    throw new InvalidParameterError(`Invalid subnet ${c.Subnet} : invalid CIDR address: ${c.Subnet}`);
  if (subnet.prefix > 126) throw new InvalidParameterError(`invalid subnet ${c.Subnet}: prefix too long`);
  if (c.Gateway) {
    const gw = parseIPv6(c.Gateway);
    if (gw === undefined || !contains6(subnet, gw)) {
      throw new InvalidParameterError(
        `failed to allocate gateway (${c.Gateway}): Requested address is out of range`,
      );
    }
  }
  for (const n of others) {
    const other = ipv6Config(n);
    if (other && n.id !== id && overlaps6(other.subnet, subnet)) {
      throw new ConflictError("Pool overlaps with other one on this address space");
    }
  }
  return config;
}

/** The IPv6 subnet and gateway of an EnableIPv6 bridge network. */
export function ipv6Config(n: NetworkRecord): { subnet: Cidr6; gateway: bigint } | undefined {
  if (!n.enableIPv6) return undefined;
  const c = n.ipamConfig.find((x) => x.Subnet?.includes(":"));
  const subnet = c?.Subnet ? parseCidr6(c.Subnet) : undefined;
  if (!c || !subnet) return undefined;
  const gateway = (c.Gateway ? parseIPv6(c.Gateway) : undefined) ?? subnet.base + 1n;
  return { subnet, gateway };
}

/** The IPv4 subnet, gateway, allocation range and reserved addresses of a bridge network. */
export function ipv4Config(n: NetworkRecord): {
  subnet: Cidr;
  gateway: number;
  range: Cidr;
  reserved: number[];
} {
  const c = n.ipamConfig.find((x) => x.Subnet && !x.Subnet.includes(":"));
  const subnet = c?.Subnet ? parseCidr(c.Subnet) : undefined;
  if (!c || !subnet) throw new EngineError(`network ${n.name} has no IPv4 subnet`);
  const gateway = (c.Gateway ? parseIPv4(c.Gateway) : undefined) ?? subnet.base + 1;
  const range = (c.IPRange ? parseCidr(c.IPRange) : undefined) ?? subnet;
  const reserved = Object.values(c.AuxiliaryAddresses ?? {})
    .map(parseIPv4)
    .filter((x): x is number => x !== undefined);
  return { subnet, gateway, range, reserved };
}
