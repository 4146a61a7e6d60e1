// Who may do what on which repository. Without rules, every authenticated user may do
// everything and anonymous clients nothing, which matches distribution's htpasswd mode.
import type { ResourceAccess } from "./scope.ts";

export interface AccessRule {
  /** A user name, "*" for any authenticated user, or "anonymous" for clients without credentials. */
  account: string;
  /** Repository name pattern: "*" matches within one path component, "**" across components. */
  name: string;
  /** Actions granted: "pull", "push", "delete" or "*". Catalog access is "registry:catalog:*". */
  actions: string[];
  /** Defaults to "repository". */
  type?: string;
}

export const ANONYMOUS = "anonymous";

export class AccessPolicy {
  private readonly rules: AccessRule[] | undefined;

  constructor(rules?: AccessRule[]) {
    this.rules = rules && rules.length > 0 ? rules : undefined;
  }

  /** The subset of the requested actions granted to the account (undefined = anonymous). */
  grant(account: string | undefined, requested: ResourceAccess): ResourceAccess {
    if (!this.rules) {
      return { ...requested, actions: account === undefined ? [] : [...requested.actions] };
    }
    const granted = new Set<string>();
    for (const rule of this.rules) {
      if (!accountMatches(rule.account, account)) continue;
      if ((rule.type ?? "repository") !== requested.type) continue;
      if (!globMatch(rule.name, requested.name)) continue;
      for (const action of requested.actions) {
        if (rule.actions.includes("*") || rule.actions.includes(action)) granted.add(action);
      }
    }
    return { ...requested, actions: requested.actions.filter((a) => granted.has(a)) };
  }
}

function accountMatches(pattern: string, account: string | undefined): boolean {
  if (account === undefined) return pattern === ANONYMOUS;
  return pattern === "*" || pattern === account;
}

function globMatch(pattern: string, name: string): boolean {
  const regex = pattern
    .split("**")
    .map((part) =>
      part
        .split("*")
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join("[^/]*"),
    )
    .join(".*");
  return new RegExp(`^${regex}$`).test(name);
}
