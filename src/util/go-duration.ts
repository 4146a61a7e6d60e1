// Go's time.Duration.String, for messages Docker prints with it ("2m0s", "300ms", "1.5s").

function trimFraction(whole: number, frac: number, digits: number): string {
  const f = frac.toString().padStart(digits, "0").replace(/0+$/, "");
  return f ? `${whole}.${f}` : `${whole}`;
}

/** A duration in nanoseconds as Go formats it. */
export function formatGoDuration(ns: number): string {
  const n = Math.round(Math.abs(ns));
  const sign = ns < 0 ? "-" : "";
  if (n === 0) return "0s";
  if (n < 1_000) return `${sign}${n}ns`;
  if (n < 1_000_000) return `${sign}${trimFraction(Math.floor(n / 1_000), n % 1_000, 3)}µs`;
  if (n < 1_000_000_000) return `${sign}${trimFraction(Math.floor(n / 1_000_000), n % 1_000_000, 6)}ms`;
  const totalSeconds = Math.floor(n / 1_000_000_000);
  const seconds = trimFraction(totalSeconds % 60, n % 1_000_000_000, 9);
  const minutes = Math.floor(totalSeconds / 60) % 60;
  const hours = Math.floor(totalSeconds / 3600);
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}
