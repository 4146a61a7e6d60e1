// `docker import --change` / `docker commit --change`: the Dockerfile instructions that only
// alter the image config (CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL,
// USER, VOLUME, WORKDIR — moby's validCommitCommands).
import { InvalidParameterError } from "../errors.ts";
import type { ContainerConfig } from "./oci.ts";

function jsonOrShell(args: string): string[] {
  const trimmed = args.trim();
  if (trimmed.startsWith("[")) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === "string")) return parsed;
    } catch {
      // not JSON: shell form
    }
  }
  return ["/bin/sh", "-c", trimmed];
}

/** Splits `K=V K2="a b"` or the legacy `K V` form into pairs. */
function keyValues(args: string): Array<[string, string]> {
  const trimmed = args.trim();
  if (!/^[^\s=]+=/.test(trimmed)) {
    const space = trimmed.search(/\s/);
    if (space < 0) throw new InvalidParameterError(`missing value in "${trimmed}"`);
    return [[trimmed.slice(0, space), trimmed.slice(space + 1).trim()]];
  }
  const pairs: Array<[string, string]> = [];
  const re = /([^\s=]+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  for (const m of trimmed.matchAll(re)) {
    let value = m[2] ?? "";
    if (value.startsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, "$1");
    else if (value.startsWith("'")) value = value.slice(1, -1);
    pairs.push([m[1] as string, value]);
  }
  return pairs;
}

const durationUnits: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's time.ParseDuration, in nanoseconds, with Go's messages. */
function goDurationNs(value: string): number {
  if (value === "0") return 0;
  const parts = [...value.matchAll(/(\d+(?:\.\d*)?|\.\d+)([a-zµ]*)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== value)
    throw new InvalidParameterError(`time: invalid duration ${JSON.stringify(value)}`);
  let ns = 0;
  for (const [, num, unit] of parts) {
    if (!unit) throw new InvalidParameterError(`time: missing unit in duration ${JSON.stringify(value)}`);
    const scale = durationUnits[unit as string];
    if (scale === undefined)
      throw new InvalidParameterError(
        `time: unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(value)}`,
      );
    ns += Number(num) * scale;
  }
  return Math.round(ns);
}

/** `HEALTHCHECK [--interval=…] [--timeout=…] [--start-period=…] [--retries=…] CMD …` or `NONE`. */
function healthcheck(args: string): NonNullable<ContainerConfig["Healthcheck"]> {
  let rest = args.trim();
  const flags = new Map<string, string>();
  for (let m = /^--([\w-]+)=(\S*)\s*/.exec(rest); m; m = /^--([\w-]+)=(\S*)\s*/.exec(rest)) {
    flags.set(m[1] as string, m[2] as string);
    rest = rest.slice(m[0].length);
  }
  for (const name of flags.keys())
    if (!["interval", "timeout", "start-period", "start-interval", "retries"].includes(name))
      throw new InvalidParameterError(`Unknown flag: ${name}`);
  const kind = (rest.split(/\s+/)[0] ?? "").toUpperCase();
  if (kind === "NONE") return { Test: ["NONE"] };
  if (kind !== "CMD") throw new InvalidParameterError(`Unknown type "${kind}" in HEALTHCHECK (try CMD)`);
  const command = jsonOrShell(rest.slice(3));
  const isShell = command[0] === "/bin/sh" && command[1] === "-c" && !rest.slice(3).trim().startsWith("[");
  const out: NonNullable<ContainerConfig["Healthcheck"]> = {
    Test: isShell ? ["CMD-SHELL", command[2] as string] : ["CMD", ...command],
  };
  const interval = flags.get("interval");
  if (interval) out.Interval = goDurationNs(interval);
  const timeout = flags.get("timeout");
  if (timeout) out.Timeout = goDurationNs(timeout);
  const startPeriod = flags.get("start-period");
  if (startPeriod) out.StartPeriod = goDurationNs(startPeriod);
  const retries = flags.get("retries");
  if (retries) {
    const n = Number(retries);
    if (!Number.isInteger(n))
      throw new InvalidParameterError(`strconv.ParseInt: parsing "${retries}": invalid syntax`);
    out.Retries = n;
  }
  return out;
}

export function applyChanges(config: ContainerConfig, changes: string[]): ContainerConfig {
  const out: ContainerConfig = structuredClone(config);
  for (const change of changes) {
    const m = /^\s*(\w+)\s+([\s\S]*)$/.exec(change);
    if (!m) throw new InvalidParameterError(`invalid change: ${change}`);
    const instruction = (m[1] as string).toUpperCase();
    const args = m[2] as string;
    switch (instruction) {
      case "CMD":
        out.Cmd = jsonOrShell(args);
        break;
      case "ENTRYPOINT":
        out.Entrypoint = jsonOrShell(args);
        break;
      case "ENV": {
        const env = out.Env ?? [];
        for (const [k, v] of keyValues(args)) {
          const i = env.findIndex((e) => e.startsWith(`${k}=`));
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        out.Env = env;
        break;
      }
      case "LABEL":
        out.Labels = { ...out.Labels, ...Object.fromEntries(keyValues(args)) };
        break;
      case "EXPOSE":
        out.ExposedPorts = { ...out.ExposedPorts };
        for (const p of args.trim().split(/\s+/)) out.ExposedPorts[p.includes("/") ? p : `${p}/tcp`] = {};
        break;
      case "USER":
        out.User = args.trim();
        break;
      case "WORKDIR":
        out.WorkingDir = args.trim();
        break;
      case "VOLUME":
        out.Volumes = { ...out.Volumes };
        for (const v of args.trim().startsWith("[") ? jsonOrShell(args) : args.trim().split(/\s+/)) {
          out.Volumes[v] = {};
        }
        break;
      case "STOPSIGNAL":
        out.StopSignal = args.trim();
        break;
      case "HEALTHCHECK":
        out.Healthcheck = healthcheck(args);
        break;
      case "ONBUILD":
        out.OnBuild = [...(out.OnBuild ?? []), args.trim()];
        break;
      default:
        // Docker names the instruction in lower case: "run is not a valid change command".
        throw new InvalidParameterError(`${instruction.toLowerCase()} is not a valid change command`);
    }
  }
  return out;
}
