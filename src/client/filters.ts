// Docker's `filters` query parameter, in the map form the docker CLI sends:
// {"status":{"exited":true},"label":{"a=b":true}}.

export type FilterMap = Map<string, string[]>;

export class FilterParseError extends Error {}

/** Parses `--filter key=value` arguments (repeatable; a key may appear more than once). */
export function parseFilterArgs(args: readonly string[]): FilterMap {
  const filters: FilterMap = new Map();
  for (const arg of args) addFilter(filters, arg);
  return filters;
}

export function addFilter(filters: FilterMap, arg: string): void {
  const eq = arg.indexOf("=");
  if (eq <= 0) throw new FilterParseError("bad format of filter (expected name=value)");
  const key = arg.slice(0, eq).trim().toLowerCase();
  const value = arg.slice(eq + 1).trim();
  const values = filters.get(key) ?? [];
  if (!values.includes(value)) values.push(value);
  filters.set(key, values);
}

/** JSON for the query string, or undefined when there is no filter (docker then omits it). */
export function encodeFilters(filters: FilterMap | undefined): string | undefined {
  if (!filters || filters.size === 0) return undefined;
  const out: Record<string, Record<string, boolean>> = {};
  for (const [key, values] of filters) {
    out[key] = Object.fromEntries(values.map((v) => [v, true]));
  }
  return JSON.stringify(out);
}
