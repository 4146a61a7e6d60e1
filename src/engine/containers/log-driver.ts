// The log driver a container names (HostConfig.LogConfig). wharf keeps a container's output in
// one local file (conmon's k8s-file format) that `docker logs` reads: "json-file" (Docker's
// default), "local" and "k8s-file" all name that file. "none" keeps nothing, and reading logs
// is then refused as Docker refuses it. Docker's drivers that ship logs elsewhere (syslog,
// journald …) are accepted and the output is kept locally, as Docker's dual logging keeps a
// local copy, with a warning that wharf ships nothing. Any other name is refused, as by Docker.
import { parseSize } from "../../util/size.ts";
import type { HostConfig } from "../../wire/containers.ts";
import { InvalidParameterError } from "../errors.ts";

export const DEFAULT_LOG_DRIVER = "json-file";

/** The options each local driver takes (Docker's, for json-file and local). */
const LOCAL_DRIVER_OPTIONS: Record<string, readonly string[]> = {
  "json-file": [
    "max-size",
    "max-file",
    "compress",
    "labels",
    "labels-regex",
    "env",
    "env-regex",
    "tag",
    "mode",
    "max-buffer-size",
  ],
  local: ["max-size", "max-file", "compress", "mode", "max-buffer-size"],
  "k8s-file": ["max-size", "max-file", "mode", "max-buffer-size"],
  none: [],
};

/** Docker's drivers that send logs elsewhere: their options are theirs to check. */
const SHIPPING_DRIVERS = [
  "awslogs",
  "fluentd",
  "gcplogs",
  "gelf",
  "journald",
  "logentries",
  "splunk",
  "syslog",
] as const;

/** What `docker info` lists under Plugins.Log: every name a container may give. */
export const LOG_DRIVER_NAMES: readonly string[] = [
  ...new Set([...SHIPPING_DRIVERS, "json-file", "local", "k8s-file", "none"]),
].sort();

/** HostConfig.LogConfig checked, with its driver filled in; an unknown driver or an option a local driver does not take is refused. */
export function checkLogConfig(
  input: HostConfig["LogConfig"],
  daemonDefault = DEFAULT_LOG_DRIVER,
): { Type: string; Config: Record<string, string> } {
  const type = input?.Type || daemonDefault;
  const config = { ...(input?.Config ?? {}) };
  const localOptions = LOCAL_DRIVER_OPTIONS[type];
  if (localOptions) {
    for (const key of Object.keys(config)) {
      if (!localOptions.includes(key))
        throw new InvalidParameterError(`unknown log opt '${key}' for ${type} log driver`);
    }
    const maxSize = config["max-size"];
    if (maxSize !== undefined && parseSize(maxSize) === undefined) {
      throw new InvalidParameterError(`invalid log option max-size: ${maxSize}`);
    }
  } else if (!(SHIPPING_DRIVERS as readonly string[]).includes(type)) {
    throw new InvalidParameterError(`error looking up logging plugin ${type}: plugin "${type}" not found`);
  }
  return { Type: type, Config: config };
}

/** The create response's warning for a driver whose shipping wharf does not do. */
export function logDriverWarnings(hc: HostConfig): string[] {
  const type = hc.LogConfig?.Type ?? "";
  if (!(SHIPPING_DRIVERS as readonly string[]).includes(type)) return [];
  return [`wharf does not ship logs to ${type}: the output is kept locally, where docker logs reads it`];
}

/** Whether `docker logs` may read the container's output. */
export function logsReadable(hc: HostConfig): boolean {
  return hc.LogConfig?.Type !== "none";
}

/**
 * How big the output file may grow before conmon rotates it. With "none" it only carries the
 * output to attached clients (attach follows the file), so it stays small.
 */
export function logSizeLimit(hc: HostConfig, daemonDefault: number): number {
  if (hc.LogConfig?.Type === "none") return 1024 * 1024;
  return parseSize(hc.LogConfig?.Config?.["max-size"] ?? "") ?? daemonDefault;
}
