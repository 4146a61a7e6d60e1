// wharfd configuration: command-line flags over daemon.json (Docker's key names where they
// overlap) over embedded defaults. A missing config file at the default path is fine.
import { readFileSync } from "node:fs";
import { checkLogConfig, DEFAULT_LOG_DRIVER } from "../engine/containers/log-driver.ts";
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
  /** daemon.json "log-driver": the driver of containers that name none (Docker's json-file). */
  logDriver: string;
  initPath: string;
  shmSize: number;
  /** daemon.json "insecure-registries": hosts or CIDRs reached over http / unverified TLS. */
  insecureRegistries: string[];
  /** daemon.json "registry-mirrors": mirrors of docker.io. */
  registryMirrors: string[];
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
  /** Networking (Docker's daemon options of the same names). */
  bridge: string;
  bip?: string;
  defaultAddressPools: Array<{ base: string; size: number }>;
  iptables: boolean;
  ipForward: boolean;
  mtu: number;
}

export const defaults: DaemonConfig = {
  hosts: ["unix:///run/wharf/wharf.sock"],
  dataRoot: "/var/lib/wharf",
  execRoot: "/run/wharf",
  configFile: "/etc/wharf/daemon.json",
  logLevel: "info",
  logMaxSize: 32 * 1024 * 1024,
  logDriver: DEFAULT_LOG_DRIVER,
  initPath: "/usr/bin/tini-static",
  shmSize: 64 * 1024 * 1024,
  insecureRegistries: [],
  registryMirrors: [],
  // Docker's is 3; 5 pulled the benchmark image fastest here (bench/README.md, "Pull and push").
  maxConcurrentDownloads: 5,
  maxConcurrentUploads: 5,
  bridge: "wharf0",
  defaultAddressPools: [{ base: "10.209.0.0/16", size: 24 }],
  iptables: true,
  ipForward: true,
  mtu: 1500,
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
  -b, --bridge string        Bridge device of the default network (default wharf0)
      --bip string           Address and prefix of the default bridge, e.g. 10.209.0.1/24
      --default-address-pools pool-options  Pools for network subnets: base=10.209.0.0/16,size=24
      --iptables             Add wharf's iptables rules (default true)
      --ip-forward           Enable net.ipv4.ip_forward (default true)
      --mtu int              MTU of container interfaces (default 1500)
      --max-concurrent-downloads int  Max concurrent downloads per pull (default 5)
      --max-concurrent-uploads int    Max concurrent uploads per push (default 5)
  -h, --help                 Print usage
`;

/** "base=10.209.0.0/16,size=24" (dockerd's --default-address-pools). */
function parsePool(text: string): { base: string; size: number } {
  const fields = Object.fromEntries(text.split(",").map((kv) => kv.split("=") as [string, string]));
  const size = Number(fields.size);
  if (
    !fields.base ||
    !/^[\d.]+\/\d+$/.test(fields.base) ||
    !Number.isInteger(size) ||
    size < 1 ||
    size > 30
  ) {
    throw new ConfigError(`invalid default address pool: ${text}`);
  }
  return { base: fields.base, size };
}

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
      case "-b":
      case "--bridge":
        flags.bridge = value();
        break;
      case "--bip":
        flags.bip = value();
        break;
      case "--default-address-pools":
        flags.defaultAddressPools = [...(flags.defaultAddressPools ?? []), parsePool(value())];
        break;
      case "--iptables":
      case "--ip-forward": {
        const v = eq > 0 ? arg.slice(eq + 1) : "true";
        if (v !== "true" && v !== "false") throw new ConfigError(`invalid boolean for ${name}: ${v}`);
        flags[name === "--iptables" ? "iptables" : "ipForward"] = v === "true";
        break;
      }
      case "--mtu":
        flags.mtu = Number(value());
        break;
      case "--max-concurrent-downloads":
      case "--max-concurrent-uploads": {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 1) throw new ConfigError(`${name} must be a positive integer`);
        flags[name === "--max-concurrent-downloads" ? "maxConcurrentDownloads" : "maxConcurrentUploads"] = v;
        break;
      }
      default:
        throw new ConfigError(`unknown flag: ${name}\nSee 'wharfd --help'.`);
    }
  }
  const configFile = flags.configFile ?? defaults.configFile;
  const file = readConfigFile(configFile, flags.configFile !== undefined);
  refuseConflicts(configFile, flags, file);
  const config: DaemonConfig = { ...defaults, ...file, ...flags, configFile };
  if (!Number.isInteger(config.mtu) || config.mtu < 68 || config.mtu > 65535) {
    throw new ConfigError(`invalid MTU: ${config.mtu}`);
  }
  if (config.bip !== undefined && !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(config.bip)) {
    throw new ConfigError(`invalid --bip: ${config.bip} (want an address with a prefix, e.g. 10.209.0.1/24)`);
  }
  if (!["debug", "info", "warn", "error"].includes(config.logLevel)) {
    throw new ConfigError(`invalid log level: ${config.logLevel}`);
  }
  // Checked before anything is set up: a bad -H must not leave a bridge and rules behind.
  for (const host of config.hosts) {
    if (!/^unix:\/\/\/\S+$/.test(host) && !/^tcp:\/\/([^:/\s]+|\[[0-9a-fA-F:]+\]):\d{1,5}$/.test(host)) {
      throw new ConfigError(`invalid --host: ${host} (use unix:///path or tcp://127.0.0.1:PORT)`);
    }
  }
  return config;
}

/** daemon.json's name for each option a flag can also set. */
const fileKeyOf: Partial<Record<keyof DaemonConfig, string>> = {
  hosts: "hosts",
  dataRoot: "data-root",
  execRoot: "exec-root",
  defaultRuntime: "default-runtime",
  logLevel: "log-level",
  bridge: "bridge",
  bip: "bip",
  defaultAddressPools: "default-address-pools",
  iptables: "iptables",
  ipForward: "ip-forward",
  mtu: "mtu",
  maxConcurrentDownloads: "max-concurrent-downloads",
  maxConcurrentUploads: "max-concurrent-uploads",
};

/** As dockerd: an option set both by a flag and in the file is an error, not a silent choice. */
function refuseConflicts(path: string, flags: Partial<DaemonConfig>, file: Partial<DaemonConfig>): void {
  const show = (v: unknown) =>
    Array.isArray(v)
      ? `[${v.map((x) => (typeof x === "object" ? JSON.stringify(x) : x)).join(" ")}]`
      : String(v);
  const conflicts = (Object.keys(flags) as Array<keyof DaemonConfig>)
    .filter((key) => fileKeyOf[key] !== undefined && file[key] !== undefined)
    .map((key) => `${fileKeyOf[key]}: (from flag: ${show(flags[key])}, from file: ${show(file[key])})`);
  if (conflicts.length > 0) {
    throw new ConfigError(
      `unable to configure the Docker daemon with file ${path}: the following directives are specified both as a flag and in the configuration file: ${conflicts.join(", ")}`,
    );
  }
}

const keyTypes: Record<string, "string" | "strings" | "boolean" | "number" | "object" | "pools"> = {
  hosts: "strings",
  "data-root": "string",
  "exec-root": "string",
  "default-runtime": "string",
  "log-level": "string",
  "log-opts": "object",
  "log-driver": "string",
  "init-path": "string",
  "default-shm-size": "string",
  "insecure-registries": "strings",
  "registry-mirrors": "strings",
  "max-concurrent-downloads": "number",
  "max-concurrent-uploads": "number",
  bridge: "string",
  bip: "string",
  "default-address-pools": "pools",
  iptables: "boolean",
  "ip-forward": "boolean",
  mtu: "number",
};

/** A value of the wrong type is refused, as dockerd refuses a file it cannot unmarshal. */
function checkKeyType(path: string, key: string, value: unknown): void {
  const want = keyTypes[key];
  const ok =
    want === "strings"
      ? Array.isArray(value) && value.every((v) => typeof v === "string")
      : want === "object"
        ? value !== null && typeof value === "object" && !Array.isArray(value)
        : want === "pools"
          ? Array.isArray(value) && value.every((p) => p !== null && typeof p === "object")
          : typeof value === want;
  if (!ok) {
    const wanted = { strings: "a list of strings", object: "an object", pools: "a list of pools" }[
      want as "strings" | "object" | "pools"
    ];
    throw new ConfigError(`${path}: ${key} must be ${wanted ?? `a ${want}`}`);
  }
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
    "log-driver",
    "init-path",
    "default-shm-size",
    "insecure-registries",
    "registry-mirrors",
    "max-concurrent-downloads",
    "max-concurrent-uploads",
    "bridge",
    "bip",
    "default-address-pools",
    "iptables",
    "ip-forward",
    "mtu",
  ];
  for (const key of Object.keys(json)) {
    if (!known.includes(key)) throw new ConfigError(`${path}: unknown configuration key: ${key}`);
    checkKeyType(path, key, json[key]);
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
  if (typeof json.bridge === "string") out.bridge = json.bridge;
  if (typeof json.bip === "string") out.bip = json.bip;
  if (Array.isArray(json["default-address-pools"])) {
    out.defaultAddressPools = (
      json["default-address-pools"] as Array<{ base?: unknown; size?: unknown }>
    ).map((p) => ({
      base: String(p.base),
      size: Number(p.size),
    }));
  }
  if (typeof json.iptables === "boolean") out.iptables = json.iptables;
  if (typeof json["ip-forward"] === "boolean") out.ipForward = json["ip-forward"];
  if (typeof json.mtu === "number") out.mtu = json.mtu;
  const logOpts = json["log-opts"] as Record<string, string> | undefined;
  if (logOpts?.["max-size"]) out.logMaxSize = sizeOf(logOpts["max-size"]);
  if (typeof json["log-driver"] === "string") {
    try {
      out.logDriver = checkLogConfig({ Type: json["log-driver"], Config: logOpts ?? {} }).Type;
    } catch (err) {
      throw new ConfigError(`${path}: ${(err as Error).message}`);
    }
  }
  return out;
}
