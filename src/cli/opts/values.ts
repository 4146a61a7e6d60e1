// Value syntaxes of docker's container flags: CPUs as a rational number, Go durations, memory
// sizes, ulimits, restart policies, sysctls, extra hosts, capabilities.
import { parseBytes } from "../format/humanize.ts";
import { isIP } from "./ports.ts";

/** opts.NanoCPUs: a rational number of CPUs ("0.5", "1.25", "3/2") as nanoCPUs. */
export function parseNanoCpus(value: string): number {
  const fail = () => new Error(`failed to parse ${value} as a rational number`);
  let num: bigint;
  let den: bigint;
  const frac = /^([+-]?\d+)\/(\d+)$/.exec(value);
  if (frac) {
    num = BigInt(frac[1] as string);
    den = BigInt(frac[2] as string);
    if (den === 0n) throw fail();
  } else {
    const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(value);
    if (!m || ((m[2] ?? "") === "" && (m[3] ?? "") === "")) throw fail();
    const frac = m[3] ?? "";
    num = BigInt(`${m[1]}${m[2] || "0"}${frac}`);
    den = 10n ** BigInt(frac.length);
    const exp = Number(m[4] ?? 0);
    if (exp > 0) num *= 10n ** BigInt(exp);
    else if (exp < 0) den *= 10n ** BigInt(-exp);
  }
  const nano = num * 1_000_000_000n;
  if (nano % den !== 0n) throw new Error("value is too precise");
  return Number(nano / den);
}

const durationUnits: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** time.ParseDuration, in nanoseconds: "1s", "1m30s", "1.5h", "-2ms", "0". */
export function parseGoDuration(value: string): number {
  const bad = () => new Error(`time: invalid duration ${JSON.stringify(value)}`);
  let s = value;
  let sign = 1;
  if (s.startsWith("-") || s.startsWith("+")) {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw bad();
  let total = 0;
  const re = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length > 0) {
    const m = re.exec(s);
    if (!m || ((m[1] ?? "") === "" && (m[2] ?? "") === "")) {
      if (/^[\d.]+$/.test(s)) throw new Error(`time: missing unit in duration ${JSON.stringify(value)}`);
      throw bad();
    }
    const unit = durationUnits[m[3] as string] as number;
    total += Number(m[1] || "0") * unit + (m[2] ? Number(`0.${m[2]}`) * unit : 0);
    s = s.slice(m[0].length);
  }
  return sign * Math.round(total);
}

/** opts.MemBytes (-m, --shm-size …): go-units' RAMInBytes. */
export function parseMemBytes(value: string): number {
  return parseBytes(value);
}

/** opts.MemSwapBytes: "-1" means unlimited swap. */
export function parseSwapBytes(value: string): number {
  return value === "-1" ? -1 : parseBytes(value);
}

const ulimitNames = [
  "core",
  "cpu",
  "data",
  "fsize",
  "locks",
  "memlock",
  "msgqueue",
  "nice",
  "nofile",
  "nproc",
  "rss",
  "rtprio",
  "rttime",
  "sigpending",
  "stack",
];

export interface UlimitValue {
  Name: string;
  Hard: number;
  Soft: number;
}

/** units.ParseUlimit: name=soft[:hard]. */
export function parseUlimit(value: string): UlimitValue {
  const eq = value.indexOf("=");
  if (eq < 0) throw new Error(`invalid ulimit argument: ${value}`);
  const name = value.slice(0, eq);
  if (!ulimitNames.includes(name)) throw new Error(`invalid ulimit type: ${name}`);
  const parts = value.slice(eq + 1).split(":");
  if (parts.length > 2)
    throw new Error(
      `too many limit value arguments - ${value.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``,
    );
  const int = (s: string) => {
    if (!/^[+-]?\d+$/.test(s))
      throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
    return Number(s);
  };
  const soft = int(parts[0] as string);
  const hard = parts.length === 2 ? int(parts[1] as string) : soft;
  if (soft > hard)
    throw new Error(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: name, Hard: hard, Soft: soft };
}

/** opts.ParseRestartPolicy: "no", "always", "on-failure:3". */
export function parseRestartPolicy(value: string): { Name: string; MaximumRetryCount: number } {
  if (value === "") return { Name: "", MaximumRetryCount: 0 };
  const colon = value.indexOf(":");
  const name = colon >= 0 ? value.slice(0, colon) : value;
  const count = colon >= 0 ? value.slice(colon + 1) : "";
  if (colon >= 0 && name === "") {
    throw new Error("invalid restart policy format: no policy provided before colon");
  }
  let max = 0;
  if (count !== "") {
    if (!/^[+-]?\d+$/.test(count)) {
      throw new Error("invalid restart policy format: maximum retry count must be an integer");
    }
    max = Number(count);
  }
  return { Name: name, MaximumRetryCount: max };
}

const sysctlExact = new Set([
  "kernel.msgmax",
  "kernel.msgmnb",
  "kernel.msgmni",
  "kernel.sem",
  "kernel.shmall",
  "kernel.shmmax",
  "kernel.shmmni",
  "kernel.shm_rmid_forced",
]);

/** opts.ValidateSysctl: the namespaced sysctls docker lets a container set. */
export function validateSysctl(value: string): void {
  const eq = value.indexOf("=");
  const key = eq >= 0 ? value.slice(0, eq) : "";
  if (eq < 0 || key === "") throw new Error(`sysctl '${value}' is not allowed`);
  if (sysctlExact.has(key) || key.startsWith("net.") || key.startsWith("fs.mqueue.")) return;
  throw new Error(`sysctl '${value}' is not allowed`);
}

/** opts.ValidateExtraHost: host:ip or host=ip; "host-gateway" stands for the host's address. */
export function normalizeExtraHost(value: string): string {
  let sep = value.indexOf("=");
  if (sep < 0) sep = value.indexOf(":");
  const host = sep >= 0 ? value.slice(0, sep) : "";
  if (sep < 0 || host === "") throw new Error(`bad format for add-host: ${JSON.stringify(value)}`);
  let ip = value.slice(sep + 1);
  if (ip.startsWith("[") && ip.endsWith("]")) ip = ip.slice(1, -1);
  if (ip !== "host-gateway" && !isIP(ip))
    throw new Error(`invalid IP address in add-host: ${JSON.stringify(ip)}`);
  return `${host}:${ip}`;
}

/** CAP_ prefix and upper case, as the CLI sends them; "ALL" stays "ALL". */
export function normalizeCapabilities(caps: readonly string[]): string[] | null {
  if (caps.length === 0) return null;
  const out: string[] = [];
  for (const raw of caps) {
    let c = raw.trim().toUpperCase();
    if (c !== "ALL" && !c.startsWith("CAP_")) c = `CAP_${c}`;
    if (!out.includes(c)) out.push(c);
  }
  return out;
}

/** opts.ValidateAttach */
export function validateAttach(value: string): void {
  if (!["stdin", "stdout", "stderr"].includes(value.toLowerCase())) {
    throw new Error("valid streams are STDIN, STDOUT and STDERR");
  }
}

/** --tmpfs /run:size=1m → ["/run", "size=1m"] */
export function splitTmpfs(value: string): [string, string] {
  const colon = value.indexOf(":");
  return colon >= 0 ? [value.slice(0, colon), value.slice(colon + 1)] : [value, ""];
}

/** --blkio-weight-device /dev/sda:200 */
export function parseWeightDevice(value: string): { Path: string; Weight: number } {
  const colon = value.lastIndexOf(":");
  const path = value.slice(0, colon);
  const weight = value.slice(colon + 1);
  if (colon < 0 || !path.startsWith("/dev/")) throw new Error(`bad format: ${value}`);
  if (!/^\d+$/.test(weight) || Number(weight) < 10 || Number(weight) > 1000) {
    throw new Error(`invalid weight for device: ${value}`);
  }
  return { Path: path, Weight: Number(weight) };
}

/** --device-read-bps /dev/sda:1mb, --device-write-iops /dev/sda:100 */
export function parseThrottleDevice(value: string, bytes: boolean): { Path: string; Rate: number } {
  const colon = value.lastIndexOf(":");
  const path = value.slice(0, colon);
  const rate = value.slice(colon + 1);
  if (colon < 0 || !path.startsWith("/dev/")) throw new Error(`bad format: ${value}`);
  if (bytes) {
    try {
      return { Path: path, Rate: parseBytes(rate) };
    } catch {
      throw new Error(
        `invalid rate for device: ${value}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb`,
      );
    }
  }
  if (!/^\d+$/.test(rate)) {
    throw new Error(
      `invalid rate for device: ${value}. The correct format is <device-path>:<number>. Number must be a positive integer`,
    );
  }
  return { Path: path, Rate: Number(rate) };
}
