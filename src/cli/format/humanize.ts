// docker's human-readable numbers (github.com/docker/go-units) and the STATUS text of a
// container (moby's State.String()).

import { formatFloat } from "./gofloat.ts";

export { humanDuration } from "../../util/human-duration.ts";
export { type PortSummary, portsColumn } from "./ports.ts";
export { ellipsis, shortenCommand, truncateId } from "./text.ts";

import { humanDuration } from "../../util/human-duration.ts";

/** The CREATED column: "5 seconds ago", "About a minute ago". */
export function relativeTime(unixSeconds: number, now: Date): string {
  return humanDuration(now.getTime() / 1000 - unixSeconds) + " ago";
}

const DECIMAL_UNITS = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
const BINARY_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

function customSize(size: number, base: number, units: readonly string[], precision: number): string {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return formatFloat(size, "g", precision) + units[i];
}

/** units.HumanSizeWithPrecision(size, 3), docker's SIZE columns: "1.23kB", "123MB", "0B". */
export function humanSize(bytes: number): string {
  return customSize(bytes, 1000, DECIMAL_UNITS, 3);
}

/** units.BytesSize: "1.5GiB", "512KiB". */
export function bytesSize(bytes: number): string {
  return customSize(bytes, 1024, BINARY_UNITS, 4);
}

const BINARY_MULTIPLIERS: Record<string, number> = {
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

/** strconv.ParseFloat's decimal syntax (what go-units hands the number part to). */
const GO_FLOAT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * units.RAMInBytes, for --memory and friends: "64m", "512k", "1.5g", "64mb", "1GiB", "100"
 * (binary multipliers, case-insensitive, optional b or ib). Throws "invalid size: '…'",
 * "invalid suffix: '…'" or strconv's error as go-units does.
 */
export function parseBytes(s: string): number {
  let sep = -1;
  for (let i = s.length - 1; i >= 0; i--) {
    if ("0123456789. ".includes(s[i]!)) {
      sep = i;
      break;
    }
  }
  if (sep === -1) throw new Error(`invalid size: '${s}'`);
  const num = s[sep] === " " ? s.slice(0, sep) : s.slice(0, sep + 1);
  let sfx = s.slice(sep + 1);
  if (!GO_FLOAT.test(num))
    throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(num)}: invalid syntax`);
  let size = Number(num);
  if (size < 0) throw new Error(`invalid size: '${s}'`);
  if (sfx.length === 0) return Math.trunc(size);
  const bad = (): Error => new Error(`invalid suffix: '${sfx}'`);
  if (sfx.length > 3) throw bad();
  sfx = sfx.toLowerCase();
  if (sfx[0] === "b") {
    if (sfx.length > 1) throw bad();
    return Math.trunc(size);
  }
  const mul = BINARY_MULTIPLIERS[sfx[0]!];
  if (mul === undefined) throw bad();
  size *= mul;
  if ((sfx.length === 2 && sfx[1] !== "b") || (sfx.length === 3 && sfx.slice(1) !== "ib")) throw bad();
  return Math.trunc(size);
}

export interface ContainerStateView {
  Status: string;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  ExitCode: number;
  StartedAt: string;
  FinishedAt: string;
  Health?: { Status: string };
}

const ZERO_TIME_MS = Date.parse("0001-01-01T00:00:00Z");

/** An unset time: empty, unparsable, or Go's zero time.Time (0001-01-01T00:00:00Z). */
function isZeroTime(iso: string): boolean {
  const t = Date.parse(iso);
  return !Number.isFinite(t) || t <= ZERO_TIME_MS;
}

/** moby's Health.String(): "starting" reads "health: starting"; an unset status counts as unhealthy. */
function healthString(status: string): string {
  if (status === "starting") return "health: starting";
  return status === "" ? "unhealthy" : status;
}

/**
 * The STATUS column of `docker ps` (moby's State.String()): "Up 5 seconds", "Up 2 minutes
 * (Paused)", "Up 3 hours (healthy)", "Exited (3) 10 seconds ago", "Created",
 * "Restarting (1) 2 seconds ago", "Removal In Progress", "Dead".
 */
export function containerStatus(state: ContainerStateView, now: Date): string {
  const since = (iso: string): string => humanDuration((now.getTime() - Date.parse(iso)) / 1000);
  if (state.Running) {
    if (state.Paused) return `Up ${since(state.StartedAt)} (Paused)`;
    if (state.Restarting) return `Restarting (${state.ExitCode}) ${since(state.FinishedAt)} ago`;
    if (state.Health) return `Up ${since(state.StartedAt)} (${healthString(state.Health.Status)})`;
    return `Up ${since(state.StartedAt)}`;
  }
  if (state.Status === "removing") return "Removal In Progress";
  if (state.Status === "dead") return "Dead";
  if (isZeroTime(state.StartedAt)) return "Created";
  if (isZeroTime(state.FinishedAt)) return "";
  return `Exited (${state.ExitCode}) ${since(state.FinishedAt)} ago`;
}
