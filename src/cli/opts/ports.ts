// -p/--publish and --expose (go-connections/nat ParsePortSpec), into ExposedPorts and
// PortBindings as the docker CLI sends them.

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

export interface PortConfig {
  exposed: Record<string, Record<string, never>>;
  bindings: Record<string, PortBinding[]>;
}

/** nat.ParsePortRange: "80" or "8000-8010" (uint16). */
export function parsePortRange(ports: string): [number, number] {
  if (ports === "") throw new Error("empty string specified for ports");
  const parse = (s: string) => {
    if (!/^\d+$/.test(s) || Number(s) > 65535) {
      throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax`);
    }
    return Number(s);
  };
  if (!ports.includes("-")) {
    const p = parse(ports);
    return [p, p];
  }
  const [a = "", b = ""] = ports.split("-");
  const start = parse(a);
  const end = parse(b);
  if (end < start) throw new Error(`invalid range specified for port: ${ports}`);
  return [start, end];
}

/** nat.SplitProtoPort: "80/udp" → ["udp", "80"]; no protocol means tcp. */
export function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split("/");
  if (raw === "" || (parts[0] ?? "") === "") return ["", ""];
  if (parts.length === 1) return ["tcp", raw];
  if ((parts[1] ?? "") === "") return ["tcp", parts[0] as string];
  return [parts[1] as string, parts[0] as string];
}

function splitParts(raw: string): [string, string, string] {
  const parts = raw.split(":");
  const n = parts.length;
  const container = parts[n - 1] as string;
  if (n === 1) return ["", "", container];
  if (n === 2) return ["", parts[0] as string, container];
  if (n === 3) return [parts[0] as string, parts[1] as string, container];
  return [parts.slice(0, n - 2).join(":"), parts[n - 2] as string, container];
}

const isIPv4 = (s: string) =>
  /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s) && s.split(".").every((p) => Number(p) <= 255);
const isIPv6 = (s: string) => /^[0-9a-fA-F:.]+$/.test(s) && s.includes(":");

export function isIP(s: string): boolean {
  return isIPv4(s) || isIPv6(s);
}

/** docker's long syntax: target=80,published=8080,protocol=udp,host_ip=… → the short one. */
function standardNotation(value: string): string {
  if (!value.includes("=")) return value;
  const fields: Record<string, string> = {};
  for (const part of value.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) throw new Error(`invalid publish opts format (should be name=value but got '${part}')`);
    fields[part.slice(0, eq).toLowerCase()] = part.slice(eq + 1);
  }
  if (!fields.target) throw new Error("missing required field: target");
  const proto = fields.protocol ? `/${fields.protocol}` : "";
  const hostIp = fields.host_ip ? `${fields.host_ip}:` : "";
  return `${hostIp}${fields.published ?? ""}:${fields.target}${proto}`;
}

/** Adds one -p spec to the config. */
export function addPublish(config: PortConfig, rawSpec: string): void {
  const raw = standardNotation(rawSpec);
  let [ip, hostPort, containerPart] = splitParts(raw);
  const [proto, containerPort] = splitProtoPort(containerPart);
  if (ip.startsWith("[")) ip = ip.replace(/^\[|\]$/g, "");
  if (ip !== "" && !isIP(ip)) throw new Error(`invalid IP address: ${ip}`);
  if (containerPort === "") throw new Error(`no port specified: ${raw}<empty>`);
  let start: number;
  let end: number;
  try {
    [start, end] = parsePortRange(containerPort);
  } catch {
    throw new Error(`invalid containerPort: ${containerPort}`);
  }
  let hostStart = 0;
  let hostEnd = 0;
  if (hostPort !== "") {
    try {
      [hostStart, hostEnd] = parsePortRange(hostPort);
    } catch {
      throw new Error(`invalid hostPort: ${hostPort}`);
    }
    if (end - start !== hostEnd - hostStart && end !== start) {
      throw new Error(
        `invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`,
      );
    }
  }
  const protocol = proto.toLowerCase();
  if (!["tcp", "udp", "sctp"].includes(protocol)) throw new Error(`invalid proto: ${proto}`);
  for (let i = 0; i <= end - start; i++) {
    const port = `${start + i}/${protocol}`;
    let host = hostPort === "" ? "" : String(hostStart + i);
    if (start === end && hostStart !== hostEnd) host = `${host}-${hostEnd}`;
    config.exposed[port] = {};
    const list = config.bindings[port] ?? [];
    list.push({ HostIp: ip, HostPort: host });
    config.bindings[port] = list;
  }
}

/** Adds one --expose spec ("80", "8000-8010/udp"). */
export function addExpose(config: PortConfig, spec: string): void {
  if (spec.includes(":")) throw new Error(`invalid port format for --expose: ${spec}`);
  const [proto, port] = splitProtoPort(spec);
  let start: number;
  let end: number;
  try {
    [start, end] = parsePortRange(port);
  } catch (err) {
    throw new Error(`invalid range format for --expose: ${spec}, error: ${(err as Error).message}`);
  }
  for (let p = start; p <= end; p++) config.exposed[`${p}/${proto}`] ??= {};
}

export function parsePorts(publish: readonly string[], expose: readonly string[]): PortConfig {
  const config: PortConfig = { exposed: {}, bindings: {} };
  for (const p of publish) addPublish(config, p);
  for (const e of expose) addExpose(config, e);
  return config;
}
