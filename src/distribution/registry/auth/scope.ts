// Resource scopes of the Docker token auth protocol: "repository:samalba/my-app:pull,push",
// "registry:catalog:*". The same shape names what a request needs and what a token grants.

export interface ResourceAccess {
  /** "repository" or "registry" (a class suffix such as "repository(plugin)" is dropped). */
  type: string;
  name: string;
  actions: string[];
}

/** Parses one scope string; malformed scopes are ignored (undefined), as distribution does. */
export function parseScope(scope: string): ResourceAccess | undefined {
  const first = scope.indexOf(":");
  const last = scope.lastIndexOf(":");
  if (first <= 0 || last === first) return undefined;
  const type = scope.slice(0, first).replace(/\(.*\)$/, "");
  const name = scope.slice(first + 1, last);
  const actions = scope
    .slice(last + 1)
    .split(",")
    .map((a) => a.trim())
    .filter((a) => a !== "");
  if (name === "" || actions.length === 0) return undefined;
  return { type, name, actions };
}

/** Parses the scope query parameters of a token request (each may hold several, space-separated). */
export function parseScopes(values: string[]): ResourceAccess[] {
  const merged = new Map<string, ResourceAccess>();
  for (const value of values) {
    for (const part of value.split(" ")) {
      const access = parseScope(part);
      if (!access) continue;
      const key = `${access.type}:${access.name}`;
      const existing = merged.get(key);
      if (existing) existing.actions = [...new Set([...existing.actions, ...access.actions])];
      else merged.set(key, access);
    }
  }
  return [...merged.values()];
}

export function formatScope(access: ResourceAccess): string {
  return `${access.type}:${access.name}:${access.actions.join(",")}`;
}

/** True when the granted list covers every needed action ("*" covers all). */
export function covers(granted: ResourceAccess[], needed: ResourceAccess): boolean {
  const actions = new Set<string>();
  for (const g of granted) {
    if (g.type === needed.type && g.name === needed.name) for (const a of g.actions) actions.add(a);
  }
  return actions.has("*") || needed.actions.every((a) => actions.has(a));
}
