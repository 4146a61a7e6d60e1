// The CNI chain of one endpoint: the bridge plugin with static IPAM (wharf allocates addresses),
// then portmap for the container's published ports. Rebuilt from the records for DEL.
import type { CniChain, CniPluginConf } from "../../platform/cni.ts";
import { formatIPv4, formatIPv6 } from "./ipam.ts";
import { ipv4Config, ipv6Config } from "./ipam-config.ts";
import type { EndpointRecord, NetworkRecord } from "./store.ts";

export function endpointChain(n: NetworkRecord, e: EndpointRecord): CniChain {
  const gateway = formatIPv4(ipv4Config(n).gateway);
  const v6 = ipv6Config(n);
  const plugins: CniPluginConf[] = [
    {
      type: "bridge",
      bridge: n.bridge,
      // wharf owns the bridge's address (set at network create), and masquerades per network.
      isGateway: false,
      ipMasq: false,
      hairpinMode: true,
      mtu: n.mtu,
      ipam: {
        type: "static",
        addresses: [
          { address: `${e.ipv4}/${e.prefixLen}`, gateway },
          ...(e.ipv6 && v6
            ? [{ address: `${e.ipv6}/${e.ipv6PrefixLen}`, gateway: formatIPv6(v6.gateway) }]
            : []),
        ],
        routes: [
          ...(e.gateway ? [{ dst: "0.0.0.0/0", gw: e.gateway }] : []),
          ...(e.ipv6Gateway ? [{ dst: "::/0", gw: e.ipv6Gateway }] : []),
        ],
      },
      runtimeConfig: { mac: e.mac },
    },
  ];
  const mappings = e.ports.filter((p) => p.protocol !== "sctp" && !p.relayOnly);
  if (mappings.length > 0) {
    plugins.push({
      type: "portmap",
      snat: true,
      capabilities: { portMappings: true },
      runtimeConfig: {
        portMappings: mappings.map((p) => ({
          hostPort: p.hostPort,
          containerPort: p.containerPort,
          protocol: p.protocol,
          ...(p.hostIP ? { hostIP: p.hostIP } : {}),
        })),
      },
    });
  }
  return { name: `wharf-${n.id.slice(0, 12)}`, plugins };
}
