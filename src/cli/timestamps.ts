// Times given on the command line (--since/--until of logs and events), turned into what the
// API wants (docker's timetypes.GetTimestamp): "10m" is ten minutes ago, RFC 3339 dates are
// converted, unix timestamps pass through.
import { parseGoDuration } from "./opts/values.ts";

function localIso(value: string): number {
  // Without a zone, the docker CLI reads dates in the local zone; so does Date for date-times.
  const withTime = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00` : value;
  const full = /T\d{2}$/.test(withTime) ? `${withTime}:00` : withTime;
  return Date.parse(full);
}

/** "secs.nanos" (or the value itself for unix timestamps). */
export function getTimestamp(value: string, now: Date = new Date()): string {
  if (value !== "0") {
    try {
      const ns = parseGoDuration(value);
      return String(Math.floor((now.getTime() - ns / 1e6) / 1000));
    } catch {
      // not a duration
    }
  }
  if (value.includes("-") && /^\d{4}-\d{2}-\d{2}/.test(value)) {
    const zoned = /[zZ]|[+-]\d{2}:?\d{2}$/.test(value.slice(10));
    const ms = zoned ? Date.parse(value) : localIso(value);
    if (Number.isNaN(ms)) throw new Error(`parsing time ${JSON.stringify(value)}: cannot parse`);
    const frac = /\.(\d+)/.exec(value)?.[1] ?? "";
    const nanos = frac ? frac.padEnd(9, "0").slice(0, 9) : "000000000";
    return `${Math.floor(ms / 1000)}.${nanos}`;
  }
  if (/^\d+(\.\d{1,9})?$/.test(value)) return value;
  throw new Error(`failed to parse value as time or duration: ${JSON.stringify(value)}`);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** Go's "2006-01-02T15:04:05.000000000Z07:00" (jsonmessage.RFC3339NanoFixed), in local time. */
export function rfc3339NanoFixed(timeNano: bigint): string {
  const ms = Number(timeNano / 1_000_000n);
  const d = new Date(ms);
  const nanos = pad(Number(timeNano % 1_000_000_000n), 9);
  const off = -d.getTimezoneOffset();
  const zone =
    off === 0
      ? "Z"
      : `${off > 0 ? "+" : "-"}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${nanos}${zone}`;
}

/** Go's time.Time.String() for a unix time: "2026-11-23 10:50:43 +0000 UTC". */
export function goTimeString(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  const zoneName =
    off === 0
      ? "UTC"
      : (new Intl.DateTimeFormat("en-US", { timeZoneName: "short" })
          .formatToParts(d)
          .find((p) => p.type === "timeZoneName")?.value ?? "");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${sign}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)} ${zoneName}`;
}
