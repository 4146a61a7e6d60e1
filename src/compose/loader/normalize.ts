// The merged model made whole: env files read into `environment`, the default network added,
// resource names given (<project>_<key>), references checked (depends_on, networks, volumes,
// secrets, configs), profiles applied, and keys wharf does not act on reported.
import { existsSync } from "node:fs";
import type { FileObjectConfig, NetworkConfig, Project, ServiceConfig, VolumeConfig } from "../model.ts";
import { readDotEnvFile } from "./dotenv.ts";
import { ProjectFileError } from "./files.ts";

type Dict = Record<string, unknown>;

const isDict = (v: unknown): v is Dict => v !== null && typeof v === "object" && !Array.isArray(v);

/** Service keys wharf turns into container settings; any other key is reported as ignored. */
export const supportedServiceKeys = new Set([
  "image",
  "build",
  "command",
  "entrypoint",
  "environment",
  "env_file",
  "ports",
  "expose",
  "volumes",
  "tmpfs",
  "networks",
  "network_mode",
  "depends_on",
  "healthcheck",
  "restart",
  "deploy",
  "scale",
  "labels",
  "container_name",
  "hostname",
  "domainname",
  "user",
  "working_dir",
  "stop_signal",
  "stop_grace_period",
  "init",
  "extra_hosts",
  "dns",
  "dns_search",
  "dns_opt",
  "cap_add",
  "cap_drop",
  "privileged",
  "read_only",
  "ulimits",
  "sysctls",
  "shm_size",
  "mem_limit",
  "cpus",
  "pids_limit",
  "tty",
  "stdin_open",
  "pull_policy",
  "volumes_from",
  "links",
  "secrets",
  "configs",
  "profiles",
  "security_opt",
  "logging",
  "platform",
]);

const supportedDeployKeys = new Set(["replicas", "resources"]);

export interface NormalizeOptions {
  name: string;
  workingDir: string;
  configFiles: string[];
  environment: Record<string, string>;
  profiles: string[];
  /** Services named on the command line. */
  targets: readonly string[];
  warnings: string[];
}

function serviceEnvironment(
  svc: Dict,
  env: Record<string, string>,
): Record<string, string | null> | undefined {
  const out: Record<string, string | null> = {};
  const files = Array.isArray(svc.env_file)
    ? (svc.env_file as Array<{ path: string; required: boolean }>)
    : [];
  for (const f of files) {
    if (!existsSync(f.path)) {
      if (f.required)
        throw new ProjectFileError(`env file ${f.path} not found: stat ${f.path}: no such file or directory`);
      continue;
    }
    Object.assign(
      out,
      readDotEnvFile(f.path, (k) => env[k]),
    );
  }
  for (const [k, v] of Object.entries(isDict(svc.environment) ? svc.environment : {})) {
    out[k] = v === null ? (env[k] ?? null) : String(v);
  }
  if (files.length === 0 && svc.environment === undefined) return undefined;
  return out;
}

function resourceName(key: string, r: Dict, project: string): string {
  if (typeof r.name === "string" && r.name !== "") return r.name;
  return r.external ? key : `${project}_${key}`;
}

function enabledServices(all: Dict, opts: NormalizeOptions): Set<string> {
  const active = new Set(opts.profiles);
  const enabled = new Set<string>();
  for (const [name, svc] of Object.entries(all)) {
    const profiles = isDict(svc) && Array.isArray(svc.profiles) ? (svc.profiles as string[]) : [];
    if (profiles.length === 0 || profiles.some((p) => active.has(p) || p === "*") || active.has("*"))
      enabled.add(name);
  }
  // Services named on the command line run whatever their profiles, and so do their dependencies.
  const queue = opts.targets.filter((t) => t in all);
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (enabled.has(name) && !opts.targets.includes(name)) continue;
    enabled.add(name);
    const deps = (all[name] as Dict | undefined)?.depends_on;
    for (const d of Object.keys(isDict(deps) ? deps : {})) if (!enabled.has(d)) queue.push(d);
  }
  return enabled;
}

export function normalizeProject(model: Dict, opts: NormalizeOptions): Project {
  const project = opts.name;
  const raw = isDict(model.services) ? model.services : {};
  for (const t of opts.targets) {
    if (!(t in raw)) throw new ProjectFileError(`no such service: ${t}`);
  }
  const enabled = enabledServices(raw, opts);
  const networks: Record<string, NetworkConfig> = {};
  for (const [key, r] of Object.entries(isDict(model.networks) ? model.networks : {})) {
    const d = isDict(r) ? r : {};
    networks[key] = { ...(d as Partial<NetworkConfig>), name: resourceName(key, d, project) };
  }
  const volumes: Record<string, VolumeConfig> = {};
  for (const [key, r] of Object.entries(isDict(model.volumes) ? model.volumes : {})) {
    const d = isDict(r) ? r : {};
    volumes[key] = { ...(d as Partial<VolumeConfig>), name: resourceName(key, d, project) };
  }
  const fileObjects = (kind: "secrets" | "configs") => {
    const out: Record<string, FileObjectConfig> = {};
    for (const [key, r] of Object.entries(isDict(model[kind]) ? (model[kind] as Dict) : {})) {
      const d = isDict(r) ? r : {};
      out[key] = { ...(d as Partial<FileObjectConfig>), name: resourceName(key, d, project) };
      if (!d.external && d.file === undefined && d.environment === undefined && d.content === undefined) {
        throw new ProjectFileError(`${kind}.${key}: one of file, environment or content is required`);
      }
    }
    return out;
  };
  const secrets = fileObjects("secrets");
  const configs = fileObjects("configs");

  const services: Record<string, ServiceConfig> = {};
  const disabled: Record<string, ServiceConfig> = {};
  let usesDefaultNetwork = false;
  for (const name of Object.keys(raw).sort()) {
    const svc = { ...(raw[name] as Dict) };
    const environment = serviceEnvironment(svc, opts.environment);
    delete svc.env_file;
    if (environment) svc.environment = environment;
    else delete svc.environment;
    if (svc.image === undefined) {
      if (svc.build === undefined) {
        throw new ProjectFileError(
          `service "${name}" has neither an image nor a build context specified: invalid compose project`,
        );
      }
      svc.image = `${project}-${name}`;
    }
    if (svc.network_mode === undefined && svc.networks === undefined) svc.networks = { default: null };
    if (!enabled.has(name)) {
      disabled[name] = svc as ServiceConfig;
      continue;
    }
    if (isDict(svc.networks) && "default" in svc.networks) usesDefaultNetwork = true;
    for (const key of Object.keys(svc)) {
      if (!supportedServiceKeys.has(key) && !key.startsWith("x-")) {
        opts.warnings.push(`service "${name}": "${key}" is not supported by wharf compose and is ignored`);
      }
    }
    if (isDict(svc.deploy)) {
      for (const key of Object.keys(svc.deploy)) {
        if (!supportedDeployKeys.has(key))
          opts.warnings.push(
            `service "${name}": "deploy.${key}" is not supported by wharf compose and is ignored`,
          );
      }
    }
    services[name] = svc as ServiceConfig;
  }
  if (usesDefaultNetwork && !networks.default) networks.default = { name: `${project}_default` };

  // References between services and resources.
  for (const [name, svc] of Object.entries(services)) {
    for (const [dep, d] of Object.entries(svc.depends_on ?? {})) {
      if (services[dep]) continue;
      if (disabled[dep] && !d.required) continue;
      if (disabled[dep] && d.required) {
        throw new ProjectFileError(
          `service "${name}" depends on disabled service "${dep}" (enable its profile)`,
        );
      }
      if (d.required)
        throw new ProjectFileError(
          `service "${name}" depends on undefined service "${dep}": invalid compose project`,
        );
    }
    for (const net of Object.keys(svc.networks ?? {})) {
      if (!networks[net])
        throw new ProjectFileError(
          `service "${name}" refers to undefined network ${net}: invalid compose project`,
        );
    }
    for (const v of svc.volumes ?? []) {
      if (v.type === "volume" && v.source !== undefined && !volumes[v.source]) {
        throw new ProjectFileError(
          `service "${name}" refers to undefined volume ${v.source}: invalid compose project`,
        );
      }
    }
    for (const s of svc.secrets ?? []) {
      if (!secrets[s.source])
        throw new ProjectFileError(
          `service "${name}" refers to undefined secret ${s.source}: invalid compose project`,
        );
    }
    for (const c of svc.configs ?? []) {
      if (!configs[c.source])
        throw new ProjectFileError(
          `service "${name}" refers to undefined config ${c.source}: invalid compose project`,
        );
    }
    const mode = svc.network_mode ?? "";
    const m = /^service:(.+)$/.exec(mode);
    if (m && !services[m[1] as string]) {
      throw new ProjectFileError(
        `service "${name}" refers to undefined service ${m[1]} in network_mode: invalid compose project`,
      );
    }
  }
  return {
    name: project,
    workingDir: opts.workingDir,
    configFiles: opts.configFiles,
    services,
    disabledServices: disabled,
    networks,
    volumes,
    secrets,
    configs,
    environment: opts.environment,
    warnings: opts.warnings,
  };
}
