// One service replica as a POST /containers/create body: the compose model mapped onto the
// Docker API's Config/HostConfig/NetworkingConfig, with the com.docker.compose.* labels.
import { parseGoDuration } from "../cli/opts/values.ts";
import type { ContainerCreateRequest, HostConfig } from "../wire/containers.ts";
import type { MountRequest } from "../wire/volumes.ts";
import * as L from "./labels.ts";
import type { Project, ServiceConfig } from "./model.ts";

export class ConvertError extends Error {}

export interface ConvertContext {
  project: Project;
  /** false when the daemon has no networks API: containers go on its default network. */
  networks: boolean;
  configHash: string;
  oneoff: boolean;
  /** The name (or id) of a running container of another service (links, volumes_from, network_mode). */
  containerOf(service: string): string;
}

/** <project>-<service>-<n>, or container_name; one-off `run` containers get their own names. */
export function containerName(project: Project, service: string, number: number): string {
  const svc = project.services[service];
  if (svc?.container_name) return svc.container_name;
  return `${project.name}-${service}-${number}`;
}

const seconds = (d: string | undefined) =>
  d === undefined ? undefined : Math.round(parseGoDuration(d) / 1e9);
const nanos = (d: string | undefined) => (d === undefined ? undefined : parseGoDuration(d));

function healthcheck(svc: ServiceConfig): ContainerCreateRequest["Healthcheck"] {
  const h = svc.healthcheck;
  if (!h) return undefined;
  if (h.disable) return { Test: ["NONE"] };
  return {
    ...(h.test ? { Test: h.test } : {}),
    ...(h.interval ? { Interval: nanos(h.interval) } : {}),
    ...(h.timeout ? { Timeout: nanos(h.timeout) } : {}),
    ...(h.retries !== undefined ? { Retries: h.retries } : {}),
    ...(h.start_period ? { StartPeriod: nanos(h.start_period) } : {}),
    ...(h.start_interval ? { StartInterval: nanos(h.start_interval) } : {}),
  };
}

function restartPolicy(restart: string | undefined): HostConfig["RestartPolicy"] {
  if (!restart) return { Name: "no", MaximumRetryCount: 0 };
  const [name, count] = restart.split(":");
  if (!["no", "always", "on-failure", "unless-stopped"].includes(name ?? "")) {
    throw new ConvertError(`invalid restart policy: ${restart}`);
  }
  return { Name: name as "no", MaximumRetryCount: count ? Number(count) : 0 };
}

function ports(svc: ServiceConfig): {
  exposed: Record<string, object>;
  bindings: Record<string, Array<{ HostIp: string; HostPort: string }>>;
} {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const e of svc.expose ?? []) {
    const [port, proto = "tcp"] = e.split("/");
    exposed[`${port}/${proto}`] = {};
  }
  for (const p of svc.ports ?? []) {
    const key = `${p.target}/${p.protocol}`;
    exposed[key] = {};
    const list = bindings[key] ?? [];
    list.push({ HostIp: p.host_ip ?? "", HostPort: p.published ?? "" });
    bindings[key] = list;
  }
  return { exposed, bindings };
}

function mounts(
  ctx: ConvertContext,
  svc: ServiceConfig,
): {
  binds: string[];
  mounts: MountRequest[];
  anonymous: Record<string, object>;
  tmpfs: Record<string, string>;
} {
  const binds: string[] = [];
  const mountList: MountRequest[] = [];
  const anonymous: Record<string, object> = {};
  const tmpfs: Record<string, string> = {};
  for (const t of svc.tmpfs ?? []) {
    const colon = t.indexOf(":");
    if (colon < 0) tmpfs[t] = "";
    else tmpfs[t.slice(0, colon)] = t.slice(colon + 1);
  }
  for (const v of svc.volumes ?? []) {
    const opts: string[] = [v.read_only ? "ro" : "rw"];
    if (v.type === "bind") {
      if (v.bind?.propagation) opts.push(v.bind.propagation);
      if (v.bind?.selinux) opts.push(v.bind.selinux);
      binds.push(`${v.source}:${v.target}:${opts.join(",")}`);
    } else if (v.type === "volume") {
      if (v.source === undefined) {
        anonymous[v.target] = {};
        continue;
      }
      const vol = ctx.project.volumes[v.source];
      if (v.volume?.subpath) {
        // A subpath has no -v syntax: it goes as a Mounts entry, as docker compose sends it.
        mountList.push({
          Type: "volume",
          Source: vol?.name ?? v.source,
          Target: v.target,
          ...(v.read_only ? { ReadOnly: true } : {}),
          VolumeOptions: { Subpath: v.volume.subpath, ...(v.volume.nocopy ? { NoCopy: true } : {}) },
        });
        continue;
      }
      if (v.volume?.nocopy) opts.push("nocopy");
      binds.push(`${vol?.name ?? v.source}:${v.target}:${opts.join(",")}`);
    } else if (v.type === "tmpfs") {
      const o: string[] = [];
      if (v.tmpfs?.size !== undefined) o.push(`size=${v.tmpfs.size}`);
      if (v.tmpfs?.mode !== undefined) o.push(`mode=${v.tmpfs.mode.toString(8)}`);
      tmpfs[v.target] = o.join(",");
    } else {
      throw new ConvertError(`volume type ${v.type} is not supported (target ${v.target})`);
    }
  }
  for (const [kind, refs] of [
    ["secret", svc.secrets ?? []],
    ["config", svc.configs ?? []],
  ] as const) {
    for (const ref of refs) {
      const def = kind === "secret" ? ctx.project.secrets[ref.source] : ctx.project.configs[ref.source];
      // environment/content values are written into the container before it starts (inject.ts).
      if (def && !def.external && def.file === undefined) continue;
      if (!def?.file) {
        throw new ConvertError(
          `${kind} "${ref.source}": external ${kind}s need a swarm; wharf compose supports file, environment and content`,
        );
      }
      // Mounted read-only, as docker compose does for file-based secrets and configs.
      binds.push(`${def.file}:${ref.target}:ro`);
    }
  }
  return { binds, mounts: mountList, anonymous, tmpfs };
}

function networking(
  ctx: ConvertContext,
  service: string,
  svc: ServiceConfig,
): Pick<HostConfig, "NetworkMode"> & {
  endpoints?: Record<string, unknown>;
} {
  const mode = svc.network_mode;
  if (mode) {
    const m = /^service:(.+)$/.exec(mode);
    if (m) return { NetworkMode: `container:${ctx.containerOf(m[1] as string)}` };
    return { NetworkMode: mode };
  }
  if (!ctx.networks) return { NetworkMode: "default" };
  const entries = Object.entries(svc.networks ?? {}).sort(
    ([a, x], [b, y]) => (y?.priority ?? 0) - (x?.priority ?? 0) || (a < b ? -1 : 1),
  );
  const endpoints: Record<string, unknown> = {};
  for (const [key, cfg] of entries) {
    const net = ctx.project.networks[key];
    if (!net) continue;
    endpoints[net.name] = {
      Aliases: [service, ...(cfg?.aliases ?? [])],
      ...(cfg?.ipv4_address || cfg?.ipv6_address
        ? { IPAMConfig: { IPv4Address: cfg?.ipv4_address ?? "", IPv6Address: cfg?.ipv6_address ?? "" } }
        : {}),
    };
  }
  const primary = entries[0] ? ctx.project.networks[entries[0][0]]?.name : undefined;
  return { NetworkMode: primary ?? "default", endpoints };
}

/** The create body for replica `number` of `service`. */
export function createRequest(
  ctx: ConvertContext,
  service: string,
  number: number,
  overrides: {
    command?: string[];
    entrypoint?: string[];
    env?: string[];
    tty?: boolean;
    stdin?: boolean;
    labels?: Record<string, string>;
  } = {},
): ContainerCreateRequest {
  const svc = ctx.project.services[service];
  if (!svc) throw new ConvertError(`no such service: ${service}`);
  const p = ctx.project;
  const labels: Record<string, string> = {
    ...(svc.labels ?? {}),
    ...(overrides.labels ?? {}),
    [L.PROJECT]: p.name,
    [L.SERVICE]: service,
    [L.CONTAINER_NUMBER]: String(number),
    [L.ONEOFF]: ctx.oneoff ? "True" : "False",
    [L.CONFIG_HASH]: ctx.configHash,
    [L.WORKING_DIR]: p.workingDir,
    [L.CONFIG_FILES]: p.configFiles.join(","),
    [L.VERSION]: L.composeVersion,
    [L.DEPENDS_ON]: Object.entries(svc.depends_on ?? {})
      .map(([d, c]) => `${d}:${c.condition}:${c.restart}`)
      .join(","),
    [L.IMAGE]: svc.image ?? "",
  };
  const env = Object.entries(svc.environment ?? {})
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}=${v}`);
  const { exposed, bindings } = ports(svc);
  const { binds, mounts: mountList, anonymous, tmpfs } = mounts(ctx, svc);
  const net = networking(ctx, service, svc);
  const limits = svc.deploy?.resources?.limits;
  const memory = limits?.memory ?? svc.mem_limit;
  const cpus = limits?.cpus !== undefined ? Number(limits.cpus) : svc.cpus;
  const pids = limits?.pids ?? svc.pids_limit;
  const hostConfig: HostConfig = {
    NetworkMode: net.NetworkMode,
    RestartPolicy: restartPolicy(svc.restart),
    ...(binds.length ? { Binds: binds } : {}),
    ...(mountList.length ? { Mounts: mountList } : {}),
    ...(Object.keys(tmpfs).length ? { Tmpfs: tmpfs } : {}),
    ...(Object.keys(bindings).length ? { PortBindings: bindings } : {}),
    ...(svc.init !== undefined ? { Init: svc.init } : {}),
    ...(svc.privileged ? { Privileged: true } : {}),
    ...(svc.read_only ? { ReadonlyRootfs: true } : {}),
    ...(svc.cap_add ? { CapAdd: svc.cap_add } : {}),
    ...(svc.cap_drop ? { CapDrop: svc.cap_drop } : {}),
    ...(svc.dns ? { Dns: svc.dns } : {}),
    ...(svc.dns_search ? { DnsSearch: svc.dns_search } : {}),
    ...(svc.dns_opt ? { DnsOptions: svc.dns_opt } : {}),
    ...(svc.extra_hosts ? { ExtraHosts: svc.extra_hosts } : {}),
    ...(svc.sysctls ? { Sysctls: svc.sysctls } : {}),
    ...(svc.shm_size !== undefined ? { ShmSize: svc.shm_size } : {}),
    ...(svc.security_opt ? { SecurityOpt: svc.security_opt } : {}),
    ...(memory !== undefined ? { Memory: memory } : {}),
    ...(cpus !== undefined ? { NanoCpus: Math.round(cpus * 1e9) } : {}),
    ...(pids !== undefined ? { PidsLimit: pids } : {}),
    ...(svc.ulimits
      ? { Ulimits: Object.entries(svc.ulimits).map(([Name, u]) => ({ Name, Soft: u.soft, Hard: u.hard })) }
      : {}),
    ...(svc.logging?.driver || svc.logging?.options
      ? { LogConfig: { Type: svc.logging.driver ?? "", Config: svc.logging.options ?? {} } }
      : {}),
    ...(svc.volumes_from
      ? {
          VolumesFrom: svc.volumes_from.map((v) => {
            const [src = "", mode] = v.startsWith("container:") ? [v.slice(10)] : v.split(":");
            const target = v.startsWith("container:") ? src : ctx.containerOf(src);
            return mode ? `${target}:${mode}` : target;
          }),
        }
      : {}),
    ...(svc.links
      ? {
          Links: svc.links.map((l) => {
            const [s = "", alias] = l.split(":");
            return `${ctx.containerOf(s)}:${alias ?? s}`;
          }),
        }
      : {}),
  };
  return {
    Image: svc.image,
    Labels: labels,
    ...(env.length ? { Env: env } : {}),
    ...(overrides.env ? { Env: [...env, ...overrides.env] } : {}),
    ...(overrides.command
      ? { Cmd: overrides.command }
      : svc.command !== undefined
        ? { Cmd: svc.command }
        : {}),
    ...(overrides.entrypoint
      ? { Entrypoint: overrides.entrypoint }
      : svc.entrypoint !== undefined
        ? { Entrypoint: svc.entrypoint }
        : {}),
    ...(Object.keys(exposed).length ? { ExposedPorts: exposed } : {}),
    ...(Object.keys(anonymous).length ? { Volumes: anonymous } : {}),
    ...(svc.hostname ? { Hostname: svc.hostname } : {}),
    ...(svc.domainname ? { Domainname: svc.domainname } : {}),
    ...(svc.user ? { User: svc.user } : {}),
    ...(svc.working_dir ? { WorkingDir: svc.working_dir } : {}),
    ...(svc.stop_signal ? { StopSignal: svc.stop_signal } : {}),
    ...(svc.stop_grace_period ? { StopTimeout: seconds(svc.stop_grace_period) } : {}),
    Tty: overrides.tty ?? svc.tty ?? false,
    OpenStdin: overrides.stdin ?? svc.stdin_open ?? false,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ...(healthcheck(svc) ? { Healthcheck: healthcheck(svc) } : {}),
    HostConfig: hostConfig,
    ...(net.endpoints ? { NetworkingConfig: { EndpointsConfig: net.endpoints } } : {}),
  };
}
