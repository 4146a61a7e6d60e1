// Short syntaxes to long ones, per service, before files are merged (merging works on the
// long forms: ports by their binding, volumes by their target, lists of KEY=VAL as maps…).
// Paths are made absolute against the directory of the file that wrote them.
import { homedir } from "node:os";
import { isAbsolute, resolve } from "node:path";
import { parseBytes } from "../../cli/format/humanize.ts";
import type { ServicePort, ServiceVolume } from "../model.ts";
import { splitShellWords } from "./shellwords.ts";
import { Override, RESET } from "./yaml-file.ts";

export class CanonicalError extends Error {}

type Dict = Record<string, unknown>;

const isDict = (v: unknown): v is Dict =>
  v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Override);

/** The value under a `!override` tag, or the value itself. */
const plain = (v: unknown): unknown => (v instanceof Override ? v.value : v);

/** Applies fn to the value, keeping an `!override` marker around the result. */
function keepTag(v: unknown, fn: (x: unknown) => unknown): unknown {
  if (v === RESET) return v;
  if (v instanceof Override) return new Override(fn(v.value));
  return fn(v);
}

export function toBool(v: unknown, where: string): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "string") {
    const s = v.toLowerCase();
    if (["true", "yes", "y", "on", "1"].includes(s)) return true;
    if (["false", "no", "n", "off", "0", ""].includes(s)) return false;
  }
  throw new CanonicalError(`${where}: invalid boolean ${JSON.stringify(v)}`);
}

export function toInt(v: unknown, where: string): number {
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "string" && /^[+-]?\d+$/.test(v.trim())) return Number(v.trim());
  throw new CanonicalError(`${where}: invalid integer ${JSON.stringify(v)}`);
}

export function toBytes(v: unknown, where: string): number {
  if (typeof v === "number") return v;
  try {
    return parseBytes(String(v));
  } catch {
    throw new CanonicalError(`${where}: invalid size ${JSON.stringify(v)}`);
  }
}

const scalarText = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** environment, labels, args…: a list of KEY=VAL (or bare KEY) or a map, as a map. */
export function listOrDict(v: unknown, where: string, bareIsNull: boolean): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = String(item);
      const eq = s.indexOf("=");
      if (eq < 0) out[s] = bareIsNull ? null : "";
      else out[s.slice(0, eq)] = s.slice(eq + 1);
    }
    return out;
  }
  if (isDict(v)) {
    for (const [k, val] of Object.entries(v))
      out[k] = val === null ? (bareIsNull ? null : "") : scalarText(val);
    return out;
  }
  throw new CanonicalError(`${where} must be a mapping or a list`);
}

const stringList = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : [String(v)]);

function command(v: unknown, where: string): string[] | null {
  if (v === null) return null;
  if (Array.isArray(v)) return v.map(String);
  try {
    return splitShellWords(String(v));
  } catch (err) {
    throw new CanonicalError(`${where}: ${(err as Error).message}`);
  }
}

/** A host path from a compose file: ~ is the home directory, relative is against baseDir. */
export function hostPath(p: string, baseDir: string): string {
  if (p === "~") return homedir();
  if (p.startsWith("~/")) return resolve(homedir(), p.slice(2));
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

const isRemoteContext = (s: string) =>
  /^(https?:\/\/|git@|github\.com\/|git:\/\/)/.test(s) || s.includes(".git#");

function parsePortRange(s: string, where: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) throw new CanonicalError(`${where}: invalid port ${JSON.stringify(s)}`);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (a > 65535 || b > 65535 || b < a)
    throw new CanonicalError(`${where}: invalid port range ${JSON.stringify(s)}`);
  return [a, b];
}

/** "[[ip:]published:]target[/protocol]" (ranges allowed) as long-syntax entries. */
export function parsePortShort(spec: string, where: string): ServicePort[] {
  let rest = spec;
  let protocol = "tcp";
  const slash = rest.lastIndexOf("/");
  if (slash >= 0) {
    protocol = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
  }
  let hostIp: string | undefined;
  const bracket = /^\[([^\]]+)\]:(.*)$/.exec(rest);
  let parts: string[];
  if (bracket) {
    hostIp = bracket[1];
    parts = (bracket[2] as string).split(":");
  } else {
    parts = rest.split(":");
    if (parts.length > 3) {
      // an IPv6 address without brackets: everything before the last two parts
      hostIp = parts.slice(0, parts.length - 2).join(":");
      parts = parts.slice(parts.length - 2);
    } else if (parts.length === 3) {
      hostIp = parts.shift();
    }
  }
  const targetText = parts[parts.length - 1] as string;
  const publishedText = parts.length === 2 ? (parts[0] as string) : "";
  const [t0, t1] = parsePortRange(targetText, where);
  const out: ServicePort[] = [];
  if (publishedText === "") {
    for (let t = t0; t <= t1; t++) {
      out.push({ mode: "ingress", ...(hostIp ? { host_ip: hostIp } : {}), target: t, protocol });
    }
    return out;
  }
  const [p0, p1] = parsePortRange(publishedText, where);
  if (p1 - p0 !== t1 - t0 && !(t0 === t1)) {
    throw new CanonicalError(`${where}: port ranges don't match in ${JSON.stringify(spec)}`);
  }
  for (let t = t0; t <= t1; t++) {
    const published = t0 === t1 && p0 !== p1 ? `${p0}-${p1}` : String(p0 + (t - t0));
    out.push({ mode: "ingress", ...(hostIp ? { host_ip: hostIp } : {}), target: t, published, protocol });
  }
  return out;
}

function portLong(v: Dict, where: string): ServicePort {
  if (v.target === undefined) throw new CanonicalError(`${where}: target is required`);
  const port: ServicePort = {
    mode: v.mode === "host" ? "host" : "ingress",
    target: toInt(v.target, `${where}.target`),
    protocol: v.protocol === undefined ? "tcp" : String(v.protocol),
  };
  if (v.host_ip !== undefined) port.host_ip = String(v.host_ip);
  if (v.published !== undefined && v.published !== "") port.published = String(v.published);
  if (v.name !== undefined) port.name = String(v.name);
  if (v.app_protocol !== undefined) port.app_protocol = String(v.app_protocol);
  return port;
}

function ports(v: unknown, where: string): ServicePort[] {
  const out: ServicePort[] = [];
  (Array.isArray(v) ? v : []).forEach((item, i) => {
    const at = `${where}[${i}]`;
    if (isDict(item)) out.push(portLong(item, at));
    else out.push(...parsePortShort(String(item), at));
  });
  return out;
}

const volumeModes = new Set([
  "ro",
  "rw",
  "z",
  "Z",
  "nocopy",
  "shared",
  "rshared",
  "slave",
  "rslave",
  "private",
  "rprivate",
  "copy",
]);

/** "[source:]target[:mode]" as a long-syntax mount. */
export function parseVolumeShort(spec: string, baseDir: string, where: string): ServiceVolume {
  const parts = spec.split(":");
  let source: string | undefined;
  let target: string;
  let mode = "";
  if (parts.length === 1) {
    target = spec;
  } else if (parts.length === 2) {
    if (
      parts[1] !== undefined &&
      (parts[1].startsWith("/") || !volumeModes.has(parts[1].split(",")[0] ?? ""))
    ) {
      source = parts[0];
      target = parts[1] as string;
    } else {
      target = parts[0] as string;
      mode = parts[1] as string;
    }
  } else if (parts.length === 3) {
    source = parts[0];
    target = parts[1] as string;
    mode = parts[2] as string;
  } else {
    throw new CanonicalError(`${where}: invalid volume specification ${JSON.stringify(spec)}`);
  }
  if (target === "")
    throw new CanonicalError(`${where}: invalid volume specification ${JSON.stringify(spec)}`);
  const modes = mode === "" ? [] : mode.split(",");
  for (const m of modes) {
    if (!volumeModes.has(m))
      throw new CanonicalError(`${where}: invalid mode ${JSON.stringify(m)} in ${JSON.stringify(spec)}`);
  }
  const vol: ServiceVolume = { type: "volume", target };
  if (source !== undefined && source !== "") {
    const isPath = source.startsWith(".") || source.startsWith("/") || source.startsWith("~");
    if (isPath) {
      vol.type = "bind";
      vol.source = hostPath(source, baseDir);
      vol.bind = { create_host_path: true };
    } else {
      vol.source = source;
    }
  }
  if (modes.includes("ro")) vol.read_only = true;
  const propagation = modes.find((m) => m.includes("shared") || m.includes("slave") || m.includes("private"));
  const selinux = modes.find((m) => m === "z" || m === "Z");
  if (vol.type === "bind" && (propagation || selinux)) {
    vol.bind = { ...vol.bind, ...(propagation ? { propagation } : {}), ...(selinux ? { selinux } : {}) };
  }
  if (modes.includes("nocopy")) vol.volume = { nocopy: true };
  return vol;
}

function volumeLong(v: Dict, baseDir: string, where: string): ServiceVolume {
  const type = String(v.type) as ServiceVolume["type"];
  if (v.target === undefined) throw new CanonicalError(`${where}: target is required`);
  const vol: ServiceVolume = { type, target: String(v.target) };
  if (v.source !== undefined && v.source !== "") {
    vol.source = type === "bind" ? hostPath(String(v.source), baseDir) : String(v.source);
  }
  if (v.read_only !== undefined) vol.read_only = toBool(v.read_only, `${where}.read_only`);
  if (isDict(v.bind)) {
    const b = v.bind;
    vol.bind = {
      ...(b.propagation !== undefined ? { propagation: String(b.propagation) } : {}),
      ...(b.create_host_path !== undefined
        ? { create_host_path: toBool(b.create_host_path, `${where}.bind.create_host_path`) }
        : {}),
      ...(b.selinux !== undefined ? { selinux: String(b.selinux) } : {}),
    };
  }
  if (isDict(v.volume)) {
    const vv = v.volume;
    vol.volume = {
      ...(vv.nocopy !== undefined ? { nocopy: toBool(vv.nocopy, `${where}.volume.nocopy`) } : {}),
      ...(vv.subpath !== undefined ? { subpath: String(vv.subpath) } : {}),
    };
  }
  if (isDict(v.tmpfs)) {
    const t = v.tmpfs;
    vol.tmpfs = {
      ...(t.size !== undefined ? { size: toBytes(t.size, `${where}.tmpfs.size`) } : {}),
      ...(t.mode !== undefined
        ? { mode: typeof t.mode === "number" ? t.mode : Number.parseInt(String(t.mode), 8) }
        : {}),
    };
  }
  if (type === "bind" && vol.source === undefined)
    throw new CanonicalError(`${where}: bind mounts need a source`);
  return vol;
}

function volumes(v: unknown, baseDir: string, where: string): ServiceVolume[] {
  return (Array.isArray(v) ? v : []).map((item, i) =>
    isDict(item)
      ? volumeLong(item, baseDir, `${where}[${i}]`)
      : parseVolumeShort(String(item), baseDir, `${where}[${i}]`),
  );
}

function fileRefs(v: unknown, kind: "secrets" | "configs"): Array<Record<string, unknown>> {
  return (Array.isArray(v) ? v : []).map((item) => {
    const ref: Record<string, unknown> = isDict(item) ? { ...item } : { source: String(item) };
    if (ref.target === undefined) {
      ref.target = kind === "secrets" ? `/run/secrets/${String(ref.source)}` : `/${String(ref.source)}`;
    } else if (kind === "secrets" && !String(ref.target).startsWith("/")) {
      ref.target = `/run/secrets/${String(ref.target)}`;
    }
    if (typeof ref.mode === "string") ref.mode = Number.parseInt(ref.mode, 8);
    return ref;
  });
}

function healthcheck(v: Dict, where: string): Dict {
  const out: Dict = { ...v };
  if (typeof v.test === "string") out.test = ["CMD-SHELL", v.test];
  if (v.retries !== undefined) out.retries = toInt(v.retries, `${where}.retries`);
  if (v.disable !== undefined) out.disable = toBool(v.disable, `${where}.disable`);
  return out;
}

function dependsOn(v: unknown): Dict {
  const out: Dict = {};
  if (Array.isArray(v)) {
    for (const name of v)
      out[String(name)] = { condition: "service_started", restart: false, required: true };
    return out;
  }
  for (const [name, dep] of Object.entries(isDict(v) ? v : {})) {
    const d = isDict(dep) ? dep : {};
    out[name] = {
      condition: d.condition ?? "service_started",
      restart: d.restart === undefined ? false : toBool(d.restart, `depends_on.${name}.restart`),
      required: d.required === undefined ? true : toBool(d.required, `depends_on.${name}.required`),
    };
  }
  return out;
}

function extraHosts(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((s) => String(s).replace(/^([^:=\s]+)=/, "$1:"));
  const out: string[] = [];
  for (const [host, ip] of Object.entries(isDict(v) ? v : {})) {
    for (const one of stringList(ip)) out.push(`${host}:${one}`);
  }
  return out;
}

function ulimits(v: unknown, where: string): Dict {
  const out: Dict = {};
  for (const [name, lim] of Object.entries(isDict(v) ? v : {})) {
    if (isDict(lim))
      out[name] = {
        soft: toInt(lim.soft, `${where}.${name}.soft`),
        hard: toInt(lim.hard, `${where}.${name}.hard`),
      };
    else {
      const n = toInt(lim, `${where}.${name}`);
      out[name] = { soft: n, hard: n };
    }
  }
  return out;
}

function build(v: unknown, baseDir: string, where: string): Dict {
  const b: Dict = isDict(v) ? { ...v } : { context: String(v) };
  const ctx = b.context === undefined ? "." : String(b.context);
  b.context = isRemoteContext(ctx) ? ctx : hostPath(ctx, baseDir);
  if (b.args !== undefined) b.args = listOrDict(b.args, `${where}.args`, true);
  if (b.labels !== undefined) b.labels = listOrDict(b.labels, `${where}.labels`, false);
  if (b.no_cache !== undefined) b.no_cache = toBool(b.no_cache, `${where}.no_cache`);
  if (b.pull !== undefined) b.pull = toBool(b.pull, `${where}.pull`);
  return b;
}

function envFiles(v: unknown, baseDir: string): Array<{ path: string; required: boolean }> {
  const list = Array.isArray(v) ? v : [v];
  return list.map((item) =>
    isDict(item)
      ? {
          path: hostPath(String(item.path), baseDir),
          required: item.required === undefined ? true : toBool(item.required, "env_file.required"),
        }
      : { path: hostPath(String(item), baseDir), required: true },
  );
}

const boolKeys = ["init", "privileged", "read_only", "tty", "stdin_open", "oom_kill_disable"];
const byteKeys = ["shm_size", "mem_limit", "mem_reservation", "memswap_limit"];
const stringOrListKeys = ["dns", "dns_search", "tmpfs"];

/** One service's raw mapping, short syntaxes expanded; `where` is "services.<name>". */
export function canonicalService(raw: Dict, baseDir: string, where: string): Dict {
  const s: Dict = { ...raw };
  const conv = (key: string, fn: (v: unknown) => unknown) => {
    if (s[key] !== undefined) s[key] = keepTag(s[key], fn);
  };
  conv("build", (v) => build(v, baseDir, `${where}.build`));
  conv("command", (v) => command(v, `${where}.command`));
  conv("entrypoint", (v) => command(v, `${where}.entrypoint`));
  conv("environment", (v) => listOrDict(v, `${where}.environment`, true));
  conv("labels", (v) => listOrDict(v, `${where}.labels`, false));
  conv("annotations", (v) => listOrDict(v, `${where}.annotations`, false));
  conv("sysctls", (v) => listOrDict(v, `${where}.sysctls`, false));
  conv("env_file", (v) => envFiles(v, baseDir));
  conv("ports", (v) => ports(v, `${where}.ports`));
  conv("expose", (v) => stringList(v));
  conv("volumes", (v) => volumes(v, baseDir, `${where}.volumes`));
  for (const k of stringOrListKeys) conv(k, stringList);
  conv("networks", (v) => {
    if (Array.isArray(v)) return Object.fromEntries(v.map((n) => [String(n), null]));
    return v;
  });
  conv("depends_on", dependsOn);
  conv("extra_hosts", extraHosts);
  conv("ulimits", (v) => ulimits(v, `${where}.ulimits`));
  conv("healthcheck", (v) => (isDict(v) ? healthcheck(v, `${where}.healthcheck`) : v));
  conv("secrets", (v) => fileRefs(v, "secrets"));
  conv("configs", (v) => fileRefs(v, "configs"));
  conv("scale", (v) => toInt(v, `${where}.scale`));
  conv("pids_limit", (v) => toInt(v, `${where}.pids_limit`));
  conv("cpus", (v) => Number(v));
  for (const k of boolKeys) conv(k, (v) => toBool(v, `${where}.${k}`));
  for (const k of byteKeys) conv(k, (v) => toBytes(v, `${where}.${k}`));
  conv("deploy", (v) => {
    if (!isDict(v)) return v;
    const d: Dict = { ...v };
    if (d.replicas !== undefined) d.replicas = toInt(d.replicas, `${where}.deploy.replicas`);
    const limits = isDict(d.resources) && isDict(d.resources.limits) ? d.resources.limits : undefined;
    if (limits) {
      const l: Dict = { ...limits };
      if (l.memory !== undefined) l.memory = toBytes(l.memory, `${where}.deploy.resources.limits.memory`);
      if (l.pids !== undefined) l.pids = toInt(l.pids, `${where}.deploy.resources.limits.pids`);
      if (l.cpus !== undefined) l.cpus = String(l.cpus);
      d.resources = { ...(d.resources as Dict), limits: l };
    }
    return d;
  });
  if (typeof plain(s.extends) === "string") s.extends = { service: plain(s.extends) };
  return s;
}

/** Top-level networks/volumes/secrets/configs: null becomes {}, `external: {name}` folds into name. */
export function canonicalResource(raw: unknown, baseDir: string, kind: string, key: string): Dict {
  const r: Dict = isDict(raw) ? { ...raw } : {};
  if (isDict(r.external)) {
    if (r.external.name !== undefined && r.name === undefined) r.name = r.external.name;
    r.external = true;
  } else if (r.external !== undefined) {
    r.external = toBool(r.external, `${kind}.${key}.external`);
  }
  if (r.labels !== undefined) r.labels = listOrDict(r.labels, `${kind}.${key}.labels`, false);
  if ((kind === "secrets" || kind === "configs") && typeof r.file === "string")
    r.file = hostPath(r.file, baseDir);
  for (const b of ["internal", "attachable", "enable_ipv6"]) {
    if (r[b] !== undefined) r[b] = toBool(r[b], `${kind}.${key}.${b}`);
  }
  return r;
}
