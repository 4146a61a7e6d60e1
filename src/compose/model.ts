// The normalised compose model: what the loader produces from the files (every short syntax
// turned into its long form, paths absolute, env files read) and what the planner consumes.
// Field names follow the compose specification, as `docker compose config` prints them.

export type DependencyCondition = "service_started" | "service_healthy" | "service_completed_successfully";

export interface ServiceDependency {
  condition: DependencyCondition;
  restart: boolean;
  required: boolean;
}

export interface ServicePort {
  mode: "ingress" | "host";
  host_ip?: string;
  target: number;
  /** A port or range ("8080", "8000-8010"); absent: an ephemeral host port. */
  published?: string;
  protocol: string;
  name?: string;
  app_protocol?: string;
}

export interface ServiceVolume {
  type: "bind" | "volume" | "tmpfs" | "image" | "npipe" | "cluster";
  /** Host path (bind), volume key (volume), image (image); absent for tmpfs and anonymous volumes. */
  source?: string;
  target: string;
  read_only?: boolean;
  bind?: { propagation?: string; create_host_path?: boolean; selinux?: string };
  volume?: { nocopy?: boolean; subpath?: string };
  tmpfs?: { size?: number; mode?: number };
}

export interface ServiceNetwork {
  aliases?: string[];
  ipv4_address?: string;
  ipv6_address?: string;
  priority?: number;
}

export interface Healthcheck {
  test?: string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
  start_interval?: string;
  disable?: boolean;
}

export interface BuildConfig {
  context: string;
  dockerfile?: string;
  dockerfile_inline?: string;
  args?: Record<string, string | null>;
  target?: string;
  labels?: Record<string, string>;
  network?: string;
  no_cache?: boolean;
  pull?: boolean;
  tags?: string[];
}

export interface FileReference {
  source: string;
  target: string;
  uid?: string;
  gid?: string;
  mode?: number;
}

export interface Ulimit {
  soft: number;
  hard: number;
}

export interface ServiceConfig {
  image?: string;
  build?: BuildConfig;
  command?: string[] | null;
  entrypoint?: string[] | null;
  environment?: Record<string, string | null>;
  ports?: ServicePort[];
  expose?: string[];
  volumes?: ServiceVolume[];
  tmpfs?: string[];
  networks?: Record<string, ServiceNetwork | null>;
  network_mode?: string;
  depends_on?: Record<string, ServiceDependency>;
  healthcheck?: Healthcheck;
  restart?: string;
  deploy?: {
    replicas?: number;
    resources?: { limits?: { cpus?: string; memory?: number; pids?: number } };
    [key: string]: unknown;
  };
  scale?: number;
  labels?: Record<string, string>;
  container_name?: string;
  hostname?: string;
  domainname?: string;
  user?: string;
  working_dir?: string;
  stop_signal?: string;
  stop_grace_period?: string;
  init?: boolean;
  extra_hosts?: string[];
  dns?: string[];
  dns_search?: string[];
  dns_opt?: string[];
  cap_add?: string[];
  cap_drop?: string[];
  privileged?: boolean;
  read_only?: boolean;
  ulimits?: Record<string, Ulimit>;
  sysctls?: Record<string, string>;
  shm_size?: number;
  mem_limit?: number;
  cpus?: number;
  pids_limit?: number;
  tty?: boolean;
  stdin_open?: boolean;
  pull_policy?: string;
  volumes_from?: string[];
  links?: string[];
  secrets?: FileReference[];
  configs?: FileReference[];
  profiles?: string[];
  security_opt?: string[];
  logging?: { driver?: string; options?: Record<string, string> };
  platform?: string;
  [key: `x-${string}`]: unknown;
}

export interface NetworkConfig {
  name: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  ipam?: { driver?: string; config?: Array<{ subnet?: string; gateway?: string; ip_range?: string }> };
  external?: boolean;
  internal?: boolean;
  attachable?: boolean;
  enable_ipv6?: boolean;
  labels?: Record<string, string>;
}

export interface VolumeConfig {
  name: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  external?: boolean;
  labels?: Record<string, string>;
}

export interface FileObjectConfig {
  name: string;
  file?: string;
  environment?: string;
  content?: string;
  external?: boolean;
}

export interface Project {
  name: string;
  /** The project directory: relative paths in the files resolve against it. */
  workingDir: string;
  /** The compose files, absolute. */
  configFiles: string[];
  services: Record<string, ServiceConfig>;
  /** Services present in the files but left out by profiles. */
  disabledServices: Record<string, ServiceConfig>;
  networks: Record<string, NetworkConfig>;
  volumes: Record<string, VolumeConfig>;
  secrets: Record<string, FileObjectConfig>;
  configs: Record<string, FileObjectConfig>;
  /** The interpolation environment (process env over .env). */
  environment: Record<string, string>;
  /** Warnings found while loading (unsupported keys, unset variables…). */
  warnings: string[];
}
