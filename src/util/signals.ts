import { constants } from "node:os";

const byName = constants.signals as Record<string, number>;

/** Parses "SIGHUP", "HUP", "hup" or "1" into a signal number; undefined if unknown. */
export function parseSignal(s: string): number | undefined {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return n > 0 && n < 65 ? n : undefined;
  }
  const upper = s.toUpperCase();
  return byName[upper.startsWith("SIG") ? upper : `SIG${upper}`];
}
