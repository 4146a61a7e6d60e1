// wharf's own iptables chains, hooked once into the built-in ones, and the rules one bridge
// network needs: masquerade for outbound traffic, forwarding, isolation from other wharf
// networks (Docker's two-stage isolation) and, for --internal networks, no way in or out.
// Networks with an IPv6 subnet get the same chains and rules in ip6tables.
import { deleteRule, ensureChain, ensureRule, type Family, type Table } from "../../platform/iptables.ts";
import { log } from "../../util/log.ts";

export const CHAINS = {
  forward: "WHARF-FORWARD",
  isolation1: "WHARF-ISOLATION-STAGE-1",
  isolation2: "WHARF-ISOLATION-STAGE-2",
  postrouting: "WHARF-POSTROUTING",
} as const;

export interface FirewallNetwork {
  bridge: string;
  subnet: string;
  /** The IPv6 subnet when the network has one: its rules are added with ip6tables too. */
  subnet6?: string;
  internal: boolean;
}

export interface Rule {
  family: Family;
  table: Table;
  chain: string;
  rule: string[];
  first?: boolean;
}

/** False once ip6tables failed: IPv6 networks then go without rules (logged once). */
let ip6tables = true;

async function ensureFamilyChains(family: Family): Promise<void> {
  await ensureChain("filter", CHAINS.forward, family);
  await ensureChain("filter", CHAINS.isolation1, family);
  await ensureChain("filter", CHAINS.isolation2, family);
  await ensureChain("nat", CHAINS.postrouting, family);
  await ensureRule("filter", CHAINS.forward, ["-j", CHAINS.isolation1], true, family);
  await ensureRule("filter", "FORWARD", ["-j", CHAINS.forward], true, family);
  await ensureRule("nat", "POSTROUTING", ["-j", CHAINS.postrouting], false, family);
}

/** Creates the chains and the jumps into them (idempotent; shared by every wharfd on the host). */
export async function ensureChains(): Promise<void> {
  await ensureFamilyChains(4);
  try {
    await ensureFamilyChains(6);
    ip6tables = true;
  } catch (err) {
    ip6tables = false;
    log.warn("ip6tables unavailable: IPv6 networks get no isolation, forwarding or masquerade rules", {
      err: err as Error,
    });
  }
}

/** The exact rules of one network, so removing them takes out nothing else. */
export function networkRules(n: FirewallNetwork): Rule[] {
  const rules = familyRules(4, n.bridge, n.subnet, n.internal);
  if (n.subnet6) rules.push(...familyRules(6, n.bridge, n.subnet6, n.internal));
  return rules;
}

function familyRules(family: Family, bridge: string, subnet: string, internal: boolean): Rule[] {
  // The tag is how wharf (and the test leak check) finds exactly its own rules.
  const c = ["-m", "comment", "--comment", `wharf:${bridge}`];
  const rules: Rule[] = [
    // Stage 1 sends what leaves this bridge for elsewhere to stage 2, which drops it when it
    // enters another wharf bridge.
    {
      family,
      table: "filter",
      chain: CHAINS.isolation1,
      rule: ["-i", bridge, "!", "-o", bridge, ...c, "-j", CHAINS.isolation2],
    },
    { family, table: "filter", chain: CHAINS.isolation2, rule: ["-o", bridge, ...c, "-j", "DROP"] },
  ];
  if (internal) {
    rules.push(
      {
        family,
        table: "filter",
        chain: CHAINS.isolation1,
        rule: ["-i", bridge, "!", "-o", bridge, ...c, "-j", "DROP"],
        first: true,
      },
      {
        family,
        table: "filter",
        chain: CHAINS.isolation1,
        rule: ["!", "-i", bridge, "-o", bridge, ...c, "-j", "DROP"],
        first: true,
      },
    );
    return rules;
  }
  rules.push(
    {
      family,
      table: "filter",
      chain: CHAINS.forward,
      rule: ["-o", bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", ...c, "-j", "ACCEPT"],
    },
    { family, table: "filter", chain: CHAINS.forward, rule: ["-o", bridge, ...c, "-j", "ACCEPT"] },
    { family, table: "filter", chain: CHAINS.forward, rule: ["-i", bridge, ...c, "-j", "ACCEPT"] },
    {
      family,
      table: "nat",
      chain: CHAINS.postrouting,
      rule: ["-s", subnet, "!", "-o", bridge, ...c, "-j", "MASQUERADE"],
    },
  );
  return rules;
}

function applies(r: Rule): boolean {
  return r.family === 4 || ip6tables;
}

export async function addNetworkRules(n: FirewallNetwork): Promise<void> {
  for (const r of networkRules(n).filter(applies))
    await ensureRule(r.table, r.chain, r.rule, r.first, r.family);
}

export async function removeNetworkRules(n: FirewallNetwork): Promise<void> {
  for (const r of networkRules(n).filter(applies)) await deleteRule(r.table, r.chain, r.rule, r.family);
}
