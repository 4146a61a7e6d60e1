// `docker import --change` / `docker commit --change`: the Dockerfile instructions that only
// alter the image config (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, …).
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
