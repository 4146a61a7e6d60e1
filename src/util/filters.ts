// Docker's `filters` query parameter: JSON in the map form {"status":{"exited":true}} (docker
// CLI) or the list form {"label":["a=b"]} (compose, docker-py).
export type Filters = Map<string, string[]>;

export class FilterError extends Error {}

export function parseFilters(raw: string | null | undefined): Filters {
  const filters: Filters = new Map();
  if (!raw) return filters;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new FilterError(`invalid filter: ${raw}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
    throw new FilterError(`invalid filter: ${raw}`);
  for (const [key, value] of Object.entries(parsed)) {
    if (Array.isArray(value)) filters.set(key, value.map(String));
    else if (value && typeof value === "object") {
      filters.set(
        key,
        Object.entries(value)
          .filter(([, on]) => on)
          .map(([k]) => k),
      );
    } else throw new FilterError(`invalid filter '${key}'`);
  }
  return filters;
}

export function checkFilterKeys(filters: Filters, allowed: string[]): void {
  for (const key of filters.keys()) {
    if (!allowed.includes(key)) throw new FilterError(`invalid filter '${key}'`);
  }
}

/** label filters: "key" (present) or "key=value" (equal); "key!=value" negates. */
export function matchLabels(
  wanted: string[] | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!wanted) return true;
  const l = labels ?? {};
  return wanted.every((w) => {
    const neq = w.indexOf("!=");
    if (neq > 0) return l[w.slice(0, neq)] !== w.slice(neq + 2);
    const eq = w.indexOf("=");
    if (eq < 0) return w in l;
    return l[w.slice(0, eq)] === w.slice(eq + 1);
  });
}

export function matchAny(wanted: string[] | undefined, test: (w: string) => boolean): boolean {
  return !wanted || wanted.length === 0 || wanted.some(test);
}
