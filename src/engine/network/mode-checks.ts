// Which container settings a network mode rules out, checked at create as dockerd's
// runconfig.validateNetMode does, with its messages: a container joining another's namespace
// (container:<id>) takes that container's hostname, resolvers, hosts entries, MAC and ports;
// host mode has no links and no MAC of its own.
import type { HostConfig } from "../../wire/containers.ts";
import { InvalidParameterError } from "../errors.ts";

/** The request's own config (before the image's is merged in: an image's EXPOSE is no conflict). */
export interface RequestedConfig {
  Hostname?: string;
  MacAddress?: unknown;
  ExposedPorts?: Record<string, object> | null;
}

const nonEmpty = (v: unknown): boolean =>
  Array.isArray(v) ? v.length > 0 : typeof v === "object" && v !== null && Object.keys(v).length > 0;

/** Throws Docker's "conflicting options" error for the first setting the mode cannot take. */
export function checkNetworkModeConflicts(
  mode: string,
  requested: RequestedConfig,
  hc: HostConfig,
  endpoints: Record<string, { MacAddress?: string } | null>,
): void {
  const container = mode.startsWith("container:");
  const host = mode === "host";
  if (container && mode.slice("container:".length) === "") {
    throw new InvalidParameterError("Invalid network mode: invalid container format container:<name|id>");
  }
  // Newer clients (API 1.44+) send --mac-address in the endpoint of the mode's "network".
  const mac =
    (typeof requested.MacAddress === "string" && requested.MacAddress !== "") ||
    Object.values(endpoints).some((e) => Boolean(e?.MacAddress));
  const conflict = (what: string) => new InvalidParameterError(`conflicting options: ${what}`);
  if (container) {
    if (requested.Hostname) throw conflict("hostname and the network mode");
    if (nonEmpty(hc.Links))
      throw conflict(
        "container type network can't be used with links. This would result in undefined behavior",
      );
    if (nonEmpty(hc.Dns)) throw conflict("dns and the network mode");
    if (nonEmpty(hc.ExtraHosts)) throw conflict("custom host-to-IP mapping and the network mode");
  }
  if ((container || host) && mac) throw conflict("mac-address and the network mode");
  if (container) {
    if (nonEmpty(hc.PortBindings) || hc.PublishAllPorts === true)
      throw conflict("port publishing and the container type network mode");
    if (nonEmpty(requested.ExposedPorts)) throw conflict("port exposing and the container type network mode");
  }
  if (hc.UTSMode === "host" && requested.Hostname) throw conflict("hostname and the UTS mode");
  if (host && nonEmpty(hc.Links))
    throw conflict("host type networking can't be used with links. This would result in undefined behavior");
}

/** The create response's warnings about networking (dockerd's verifyPlatformContainerSettings). */
export function networkModeWarnings(hc: HostConfig): string[] {
  return hc.NetworkMode === "host" && nonEmpty(hc.PortBindings)
    ? ["Published ports are discarded when using host network mode"]
    : [];
}
