// Docker's wire shapes for networks and endpoints (network inspect, NetworkSettings.Networks).
import type { EndpointSettings } from "../../wire/networks.ts";
import type { EndpointRecord, NetworkRecord } from "./store.ts";

export function networkView(
  n: NetworkRecord,
  endpoints: ReadonlyArray<{ e: EndpointRecord; name: string }> | undefined,
): Record<string, unknown> {
  const containers: Record<string, unknown> = {};
  for (const { e, name } of endpoints ?? []) {
    containers[e.containerId] = {
      Name: name,
      EndpointID: e.id,
      MacAddress: e.mac,
      IPv4Address: `${e.ipv4}/${e.prefixLen}`,
      IPv6Address: e.ipv6 ? `${e.ipv6}/${e.ipv6PrefixLen}` : "",
    };
  }
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: "local",
    Driver: n.driver,
    EnableIPv6: n.enableIPv6,
    IPAM: { Driver: n.ipamDriver, Options: n.ipamOptions, Config: n.ipamConfig },
    Internal: n.internal,
    Attachable: n.attachable,
    Ingress: false,
    ConfigFrom: { Network: "" },
    ConfigOnly: false,
    Containers: containers,
    Options: n.options,
    Labels: n.labels,
  };
}

export function endpointView(
  networkId: string,
  e: EndpointRecord | undefined,
  s: EndpointSettings,
  dnsNames: string[] | null = null,
): Record<string, unknown> {
  return {
    IPAMConfig: s.IPAMConfig ?? null,
    Links: s.Links ?? null,
    Aliases: s.Aliases ?? null,
    MacAddress: e?.mac ?? "",
    DriverOpts: s.DriverOpts ?? null,
    NetworkID: networkId,
    EndpointID: e?.id ?? "",
    Gateway: e ? gatewayOf(e) : "",
    IPAddress: e?.ipv4 ?? "",
    IPPrefixLen: e?.prefixLen ?? 0,
    IPv6Gateway: e?.ipv6Gateway ?? "",
    GlobalIPv6Address: e?.ipv6 ?? "",
    GlobalIPv6PrefixLen: e?.ipv6PrefixLen ?? 0,
    DNSNames: e ? dnsNames : null,
  };
}

/** The gateway of an endpoint's network as CNI reported it (set whether or not it holds the default route). */
export function gatewayOf(e: EndpointRecord): string {
  return e.cniResult
    ? String((e.cniResult.ips as Array<{ gateway?: string }> | undefined)?.[0]?.gateway ?? e.gateway)
    : e.gateway;
}
