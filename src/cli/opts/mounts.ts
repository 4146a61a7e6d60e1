// -v/--volume and --mount as the docker CLI turns them into Binds, Volumes and Mounts.
import { resolve } from "node:path";
import type { MountRequest } from "../../wire/volumes.ts";

/** A --mount as sent in HostConfig.Mounts: the wire type, with the parts the CLI fills in present. */
export type MountSpec = MountRequest & {
  Type: string;
  BindOptions?: NonNullable<MountRequest["BindOptions"]>;
  VolumeOptions?: NonNullable<MountRequest["VolumeOptions"]>;
  TmpfsOptions?: NonNullable<MountRequest["TmpfsOptions"]>;
};

export interface VolumeConfig {
  binds: string[];
  /** Anonymous volumes: Config.Volumes. */
  volumes: Record<string, Record<string, never>>;
}

/**
 * Splits -v specs as the docker CLI does: a spec with a ":" goes to Binds (the daemon validates
 * it), a lone path is an anonymous volume (Config.Volumes).
 */
export function parseVolumes(specs: readonly string[]): VolumeConfig {
  const out: VolumeConfig = { binds: [], volumes: {} };
  for (const spec of specs) {
    if (spec.trim() === "") throw new Error("invalid empty volume spec");
    const colon = spec.indexOf(":");
    if (colon < 0) {
      out.volumes[spec] = {};
      continue;
    }
    // Relative host paths are made absolute on the client, like docker does for "./dir".
    const source = spec.slice(0, colon);
    out.binds.push(source.startsWith(".") ? `${resolve(source)}${spec.slice(colon)}` : spec);
  }
  return out;
}

function parseBoolish(key: string, value: string | undefined): boolean {
  if (value === undefined) return true;
  const v = value.toLowerCase();
  if (["1", "true"].includes(v)) return true;
  if (["0", "false"].includes(v)) return false;
  throw new Error(`invalid value for ${key}: ${value}`);
}

/** One CSV record as Go's encoding/csv reads it: a quoted field may hold commas ("o=a,b"). */
export function splitCsv(value: string): string[] {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  let atStart = true;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (quoted) {
      if (ch === '"' && value[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && atStart) {
      quoted = true;
      atStart = false;
    } else if (ch === ",") {
      fields.push(field);
      field = "";
      atStart = true;
    } else {
      field += ch;
      atStart = false;
    }
  }
  if (quoted)
    throw new Error(`parse error on line 1, column ${value.length}: extraneous or missing " in quoted-field`);
  fields.push(field);
  return fields;
}

/** Go's strings.Cut on "=": "k" alone is key "k" with an empty value (the daemon judges it). */
function cutKeyValue(field: string): [string, string] {
  const eq = field.indexOf("=");
  return eq < 0 ? [field, ""] : [field.slice(0, eq), field.slice(eq + 1)];
}

/** opts.MountOpt: type=bind|volume|tmpfs,source=…,target=…,readonly,… */
export function parseMount(value: string): MountSpec {
  const m: MountSpec = { Type: "volume" };
  const fields = splitCsv(value).filter((f) => f !== "");
  for (const field of fields) {
    const eq = field.indexOf("=");
    const key = (eq >= 0 ? field.slice(0, eq) : field).toLowerCase().trim();
    const val = eq >= 0 ? field.slice(eq + 1) : undefined;
    const need = () => {
      if (val === undefined) throw new Error(`invalid field '${field}' must be a key=value pair`);
      return val;
    };
    switch (key) {
      case "type":
        m.Type = need().toLowerCase();
        break;
      case "source":
      case "src":
        m.Source = need();
        break;
      case "target":
      case "dst":
      case "destination":
        m.Target = need();
        break;
      case "readonly":
      case "ro":
        m.ReadOnly = parseBoolish(key, val);
        break;
      case "consistency":
        m.Consistency = need();
        break;
      case "bind-propagation":
        m.BindOptions = { ...m.BindOptions, Propagation: need() };
        break;
      case "bind-nonrecursive":
        m.BindOptions = { ...m.BindOptions, NonRecursive: parseBoolish(key, val) };
        break;
      case "bind-recursive":
        m.BindOptions = { ...m.BindOptions, ...bindRecursive(need()) };
        break;
      case "volume-nocopy":
        m.VolumeOptions = { ...m.VolumeOptions, NoCopy: parseBoolish(key, val) };
        break;
      case "volume-subpath":
        m.VolumeOptions = { ...m.VolumeOptions, Subpath: need() };
        break;
      case "volume-opt": {
        const [k, v] = cutKeyValue(need());
        const driver = m.VolumeOptions?.DriverConfig;
        m.VolumeOptions = {
          ...m.VolumeOptions,
          DriverConfig: { ...driver, Options: { ...driver?.Options, [k]: v } },
        };
        break;
      }
      case "volume-label": {
        const [k, v] = cutKeyValue(need());
        m.VolumeOptions = { ...m.VolumeOptions, Labels: { ...m.VolumeOptions?.Labels, [k]: v } };
        break;
      }
      case "volume-driver":
        m.VolumeOptions = {
          ...m.VolumeOptions,
          DriverConfig: { ...m.VolumeOptions?.DriverConfig, Name: need() },
        };
        break;
      case "tmpfs-size":
        m.TmpfsOptions = { ...m.TmpfsOptions, SizeBytes: parseTmpfsSize(need()) };
        break;
      case "tmpfs-mode": {
        const mode = need();
        if (!/^[0-7]+$/.test(mode)) throw new Error(`invalid value for ${key}: ${mode}`);
        m.TmpfsOptions = { ...m.TmpfsOptions, Mode: Number.parseInt(mode, 8) };
        break;
      }
      default:
        throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (!m.Target) throw new Error("target is required");
  if (m.BindOptions?.ReadOnlyNonRecursive && !m.ReadOnly)
    throw new Error("option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction");
  if (m.BindOptions?.ReadOnlyForceRecursive) {
    if (!m.ReadOnly)
      throw new Error("option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction");
    if (m.BindOptions.Propagation !== "rprivate")
      throw new Error(
        "option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction",
      );
  }
  if (m.Type === "tmpfs" && m.Source) throw new Error("source is not supported for tmpfs mounts");
  return m;
}

/** bind-recursive=enabled|disabled|writable|readonly, as the docker CLI maps it onto BindOptions. */
function bindRecursive(value: string): NonNullable<MountSpec["BindOptions"]> {
  switch (value) {
    case "enabled":
      return {};
    case "disabled":
      return { NonRecursive: true };
    case "writable":
      return { ReadOnlyNonRecursive: true };
    case "readonly":
      return { ReadOnlyForceRecursive: true };
    default:
      throw new Error(
        `invalid value for bind-recursive: ${value} (must be "enabled", "disabled", "writable", or "readonly")`,
      );
  }
}

function parseTmpfsSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmg]?)b?$/i.exec(value);
  if (!m) throw new Error(`invalid tmpfs-size: ${value}`);
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[
    (m[2] ?? "").toLowerCase() as "" | "k" | "m" | "g"
  ];
  return Math.trunc(Number(m[1]) * mult);
}
