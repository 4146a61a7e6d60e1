// min / median / max of a metric's samples, and the wharf/docker ratio of medians.

export interface Summary {
  n: number;
  min: number;
  median: number;
  max: number;
}

export function summarize(samples: readonly number[]): Summary | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { n: sorted.length, min: sorted[0]!, median, max: sorted[sorted.length - 1]! };
}

/** wharf / docker on medians; undefined when either side has no figure. */
export function ratio(wharf: Summary | undefined, docker: Summary | undefined): number | undefined {
  if (!wharf || !docker || docker.median === 0) return undefined;
  return wharf.median / docker.median;
}
