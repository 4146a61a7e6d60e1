// wharfd configuration: command-line flags over daemon.json (Docker's key names where they
// overlap) over embedded defaults. A missing config file at the default path is fine.
import { readFileSync } from "node:fs";
import { parseSize } from "../util/size.ts";

export interface DaemonConfig {
  hosts: string[];
  dataRoot: string;
  execRoot: string;
  configFile: string;
  defaultRuntime?: string;
  logLevel: "debug" | "info" | "warn" | "error";
  /** Max bytes of one container log before conmon rotates it (Docker log-opts max-size). */
  logMaxSize: number;
  initPath: string;
  shmSize: number;
  /** daemon.json "insecure-registries": hosts or CIDRs reached over http / unverified TLS. */
  insecureRegistries: string[];
  /** daemon.json "registry-mirrors": mirrors of docker.io. */
  registryMirrors: string[];
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
}

export const defaults: DaemonConfig = {
  hosts: ["unix:///run/wharf/wharf.sock"],
  dataRoot: "/var/lib/wharf",
  execRoot: "/run/wharf",
  configFile: "/etc/wharf/daemon.json",
  logLevel: "info",
  logMaxSize: 32 * 1024 * 1024,
  initPath: "/usr/bin/tini-static",
  shmSize: 64 * 1024 * 1024,
  insecureRegistries: [],
  registryMirrors: [],
  maxConcurrentDownloads: 3,
  maxConcurrentUploads: 5,
};

export class ConfigError extends Error {}

const usage = `Usage: wharfd [OPTIONS]

A Docker-compatible container engine.

Options:
  -H, --host list            Daemon socket(s) to listen on (default unix:///run/wharf/wharf.sock)
      --data-root string     Root directory of persistent state (default /var/lib/wharf)
      --exec-root string     Root directory for execution state (default /run/wharf)
      --config-file string   Daemon configuration file (default /etc/wharf/daemon.json)
      --default-runtime string  Default OCI runtime (runc or crun; default: probe this host)
  -l, --log-level string     Log level: debug, info, warn, error (default info)
  -h, --help                 Print usage
`;

function sizeOf(value: string): number {
  const size = parseSize(value);
  if (size === undefined) throw new ConfigError(`invalid size: ${value}`);
  return size;
}

/** Parses argv; returns undefined when only help was asked for. */
export function loadConfig(argv: string[]): DaemonConfig | undefined {
  const flags: Partial<DaemonConfig> & { hosts?: string[] } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = () => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new ConfigError(`flag needs an argument: ${name}`);
      return v;
    };
    switch (name) {
      case "-h":
      case "--help":
        process.stdout.write(usage);
        return undefined;
      case "-H":
      case "--host":
        flags.hosts = [...(flags.hosts ?? []), value()];
        break;
      case "--data-root":
        flags.dataRoot = value();
        break;
      case "--exec-root":
        flags.execRoot = value();
        break;
      case "--config-file":
        flags.configFile = value();
        break;
      case "--default-runtime":
        flags.defaultRuntime = value();
        break;
      case "-l":
      case "--log-level":
        flags.logLevel = value() as DaemonConfig["logLevel"];
        break;
      default:
        throw new ConfigError(`unknown flag: ${name}\nSee 'wharfd --help'.`);
    }
  }
  const configFile = flags.configFile ?? defaults.configFile;
  const file = readConfigFile(configFile, flags.configFile !== undefined);
  const config: DaemonConfig = { ...defaults, ...file, ...flags, configFile };
  if (!["debug", "info", "warn", "error"].includes(config.logLevel)) {
    throw new ConfigError(`invalid log level: ${config.logLevel}`);
  }
  return config;
}

function readConfigFile(path: string, required: boolean): Partial<DaemonConfig> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new ConfigError(`unable to read config file ${path}: ${(err as Error).message}`);
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`invalid JSON in ${path}: ${(err as Error).message}`);
  }
  const out: Partial<DaemonConfig> = {};
  const known = [
    "hosts",
    "data-root",
    "exec-root",
    "default-runtime",
    "log-level",
    "log-opts",
    "init-path",
    "default-shm-size",
    "insecure-registries",
    "registry-mirrors",
    "max-concurrent-downloads",
    "max-concurrent-uploads",
  ];
  for (const key of Object.keys(json)) {
    if (!known.includes(key)) throw new ConfigError(`${path}: unknown configuration key: ${key}`);
  }
  if (Array.isArray(json.hosts)) out.hosts = json.hosts.map(String);
  if (typeof json["data-root"] === "string") out.dataRoot = json["data-root"];
  if (typeof json["exec-root"] === "string") out.execRoot = json["exec-root"];
  if (typeof json["default-runtime"] === "string") out.defaultRuntime = json["default-runtime"];
  if (typeof json["log-level"] === "string") out.logLevel = json["log-level"] as DaemonConfig["logLevel"];
  if (typeof json["init-path"] === "string") out.initPath = json["init-path"];
  if (typeof json["default-shm-size"] === "string") out.shmSize = sizeOf(json["default-shm-size"]);
  if (Array.isArray(json["insecure-registries"]))
    out.insecureRegistries = json["insecure-registries"].map(String);
  if (Array.isArray(json["registry-mirrors"])) out.registryMirrors = json["registry-mirrors"].map(String);
  for (const [key, field] of [
    ["max-concurrent-downloads", "maxConcurrentDownloads"],
    ["max-concurrent-uploads", "maxConcurrentUploads"],
  ] as const) {
    const v = json[key];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1)
      throw new ConfigError(`${path}: ${key} must be a positive integer`);
    out[field] = v;
  }
  const logOpts = json["log-opts"] as Record<string, string> | undefined;
  if (logOpts?.["max-size"]) out.logMaxSize = sizeOf(logOpts["max-size"]);
  return out;
}
