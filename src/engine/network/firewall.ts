// wharf's own iptables chains, hooked once into the built-in ones, and the rules one bridge
// network needs: masquerade for outbound traffic, forwarding, isolation from other wharf
// networks (Docker's two-stage isolation) and, for --internal networks, no way in or out.
import { deleteRule, ensureChain, ensureRule, type Table } from "../../platform/iptables.ts";

export const CHAINS = {
  forward: "WHARF-FORWARD",
  isolation1: "WHARF-ISOLATION-STAGE-1",
  isolation2: "WHARF-ISOLATION-STAGE-2",
  postrouting: "WHARF-POSTROUTING",
} as const;

export interface FirewallNetwork {
  bridge: string;
  subnet: string;
  internal: boolean;
}

export interface Rule {
  table: Table;
  chain: string;
  rule: string[];
  first?: boolean;
}

/** Creates the chains and the jumps into them (idempotent; shared by every wharfd on the host). */
export async function ensureChains(): Promise<void> {
  await ensureChain("filter", CHAINS.forward);
  await ensureChain("filter", CHAINS.isolation1);
  await ensureChain("filter", CHAINS.isolation2);
  await ensureChain("nat", CHAINS.postrouting);
  await ensureRule("filter", CHAINS.forward, ["-j", CHAINS.isolation1], true);
  await ensureRule("filter", "FORWARD", ["-j", CHAINS.forward], true);
  await ensureRule("nat", "POSTROUTING", ["-j", CHAINS.postrouting]);
}

function comment(n: FirewallNetwork): string[] {
  return ["-m", "comment", "--comment", `wharf:${n.bridge}`];
}

/** The exact rules of one network, so removing them takes out nothing else. */
export function networkRules(n: FirewallNetwork): Rule[] {
  const c = comment(n);
  const rules: Rule[] = [
    // Stage 1 sends what leaves this bridge for elsewhere to stage 2, which drops it when it
    // enters another wharf bridge.
    {
      table: "filter",
      chain: CHAINS.isolation1,
      rule: ["-i", n.bridge, "!", "-o", n.bridge, ...c, "-j", CHAINS.isolation2],
    },
    { table: "filter", chain: CHAINS.isolation2, rule: ["-o", n.bridge, ...c, "-j", "DROP"] },
  ];
  if (n.internal) {
    rules.push(
      {
        table: "filter",
        chain: CHAINS.isolation1,
        rule: ["-i", n.bridge, "!", "-o", n.bridge, ...c, "-j", "DROP"],
        first: true,
      },
      {
        table: "filter",
        chain: CHAINS.isolation1,
        rule: ["!", "-i", n.bridge, "-o", n.bridge, ...c, "-j", "DROP"],
        first: true,
      },
    );
    return rules;
  }
  rules.push(
    {
      table: "filter",
      chain: CHAINS.forward,
      rule: ["-o", n.bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", ...c, "-j", "ACCEPT"],
    },
    { table: "filter", chain: CHAINS.forward, rule: ["-o", n.bridge, ...c, "-j", "ACCEPT"] },
    { table: "filter", chain: CHAINS.forward, rule: ["-i", n.bridge, ...c, "-j", "ACCEPT"] },
    {
      table: "nat",
      chain: CHAINS.postrouting,
      rule: ["-s", n.subnet, "!", "-o", n.bridge, ...c, "-j", "MASQUERADE"],
    },
  );
  return rules;
}

export async function addNetworkRules(n: FirewallNetwork): Promise<void> {
  for (const r of networkRules(n)) await ensureRule(r.table, r.chain, r.rule, r.first);
}

export async function removeNetworkRules(n: FirewallNetwork): Promise<void> {
  for (const r of networkRules(n)) await deleteRule(r.table, r.chain, r.rule);
}
