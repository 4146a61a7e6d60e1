import { constants } from "node:os";

const byName = constants.signals as Record<string, number>;

/** Parses "SIGHUP", "HUP", "hup" or "1" into a signal number; undefined if unknown. */
export function parseSignal(s: string): number | undefined {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return n > 0 && n < 65 ? n : undefined;
  }
  const upper = s.toUpperCase();
  const name = upper.startsWith("SIG") ? upper : `SIG${upper}`;
  // Linux real-time signals by Docker's names: RTMIN (34) … RTMAX (64), RTMIN+n, RTMAX-n.
  const rt = /^SIGRT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name);
  if (rt) {
    const n = (rt[1] === "MIN" ? 34 : 64) + (rt[2] === "-" ? -1 : 1) * Number(rt[3] ?? 0);
    return n >= 34 && n <= 64 ? n : undefined;
  }
  return byName[name];
}
