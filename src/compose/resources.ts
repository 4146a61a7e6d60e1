// The project's networks, volumes and images made present before containers are created:
// inspect, create when missing (with compose's labels), external ones only checked.
import { ApiError, isNotFound } from "../client/errors.ts";
import { type ComposeEngine, UnsupportedApiError } from "./engine.ts";
import * as L from "./labels.ts";
import type { Project } from "./model.ts";
import type { Progress } from "./progress.ts";

/** The network keys the given services use (network_mode services use none). */
export function usedNetworks(project: Project, services: readonly string[]): string[] {
  const keys = new Set<string>();
  for (const s of services) for (const k of Object.keys(project.services[s]?.networks ?? {})) keys.add(k);
  return [...keys].sort();
}

export function usedVolumes(project: Project, services: readonly string[]): string[] {
  const keys = new Set<string>();
  for (const s of services) {
    for (const v of project.services[s]?.volumes ?? [])
      if (v.type === "volume" && v.source) keys.add(v.source);
  }
  return [...keys].sort();
}

/**
 * Creates the missing networks. Returns false when the daemon has no networks API at all:
 * the caller then runs containers on the daemon's default network and says so.
 */
export async function ensureNetworks(
  engine: ComposeEngine,
  project: Project,
  services: readonly string[],
  progress: Progress,
): Promise<boolean> {
  for (const key of usedNetworks(project, services)) {
    const net = project.networks[key];
    if (!net) continue;
    try {
      const found = await engine.networkInspect(net.name);
      const owner = found.Labels?.[L.PROJECT];
      if (!net.external && owner !== undefined && owner !== project.name) {
        progress.warn(
          `a network with name ${net.name} exists but was not created for project "${project.name}"`,
        );
      }
      continue;
    } catch (err) {
      if (err instanceof UnsupportedApiError) return false;
      if (!isNotFound(err)) throw err;
    }
    if (net.external) throw new Error(`network ${net.name} declared as external, but could not be found`);
    progress.event("Network", net.name, "Creating");
    await engine.networkCreate({
      Name: net.name,
      CheckDuplicate: true,
      Driver: net.driver ?? "bridge",
      Internal: net.internal ?? false,
      Attachable: net.attachable ?? false,
      EnableIPv6: net.enable_ipv6 ?? false,
      Options: net.driver_opts ?? {},
      ...(net.ipam
        ? {
            IPAM: {
              Driver: net.ipam.driver ?? "default",
              Config: (net.ipam.config ?? []).map((c) => ({
                Subnet: c.subnet,
                Gateway: c.gateway,
                IPRange: c.ip_range,
              })),
            },
          }
        : {}),
      Labels: {
        ...(net.labels ?? {}),
        [L.PROJECT]: project.name,
        [L.NETWORK]: key,
        [L.VERSION]: L.composeVersion,
      },
    });
    progress.event("Network", net.name, "Created");
  }
  return true;
}

export async function ensureVolumes(
  engine: ComposeEngine,
  project: Project,
  services: readonly string[],
  progress: Progress,
): Promise<void> {
  for (const key of usedVolumes(project, services)) {
    const vol = project.volumes[key];
    if (!vol) continue;
    try {
      await engine.volumeInspect(vol.name);
      continue;
    } catch (err) {
      if (err instanceof UnsupportedApiError) {
        throw new UnsupportedApiError(`service volume "${key}" needs named volumes, but ${err.message}`);
      }
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
    if (vol.external) throw new Error(`external volume "${vol.name}" not found`);
    progress.event("Volume", vol.name, "Creating");
    await engine.volumeCreate({
      Name: vol.name,
      Driver: vol.driver ?? "local",
      DriverOpts: vol.driver_opts ?? {},
      Labels: {
        ...(vol.labels ?? {}),
        [L.PROJECT]: project.name,
        [L.VOLUME]: key,
        [L.VERSION]: L.composeVersion,
      },
    });
    progress.event("Volume", vol.name, "Created");
  }
}
