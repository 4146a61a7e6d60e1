// wharf's own iptables chains, hooked once into the built-in ones, and the rules one bridge
// network needs: masquerade for outbound traffic, forwarding, isolation from other wharf
// networks (Docker's two-stage isolation) and, for --internal networks, no way in or out.
// Networks with an IPv6 subnet get the same chains and rules in ip6tables.
import {
  chainExists,
  deleteChain,
  deleteRule,
  ensureChain,
  ensureRule,
  type Family,
  type Table,
} from "../../platform/iptables.ts";
import { log } from "../../util/log.ts";

export interface ChainNames {
  forward: string;
  isolation1: string;
  isolation2: string;
  postrouting: string;
}

/** The default daemon's bridge: its chains keep Docker-like readable names. */
export const DEFAULT_BRIDGE = "wharf0";

/**
 * Each daemon has chains of its own, named after its default bridge (a host-wide device name,
 * so unique per running daemon): a daemon can then flush and delete its chains at shutdown
 * without ever racing another daemon adding rules to a shared chain. The cost: isolation
 * stops at the daemon — two daemons' networks are not isolated from each other (Docker
 * supports one daemon per host; several are a test setup). Names stay within iptables' 28.
 */
export function chainNames(defaultBridge: string): ChainNames {
  if (defaultBridge === DEFAULT_BRIDGE) {
    return {
      forward: "WHARF-FORWARD",
      isolation1: "WHARF-ISOLATION-STAGE-1",
      isolation2: "WHARF-ISOLATION-STAGE-2",
      postrouting: "WHARF-POSTROUTING",
    };
  }
  return {
    forward: `WHARF-FWD-${defaultBridge}`,
    isolation1: `WHARF-ISO1-${defaultBridge}`,
    isolation2: `WHARF-ISO2-${defaultBridge}`,
    postrouting: `WHARF-POST-${defaultBridge}`,
  };
}

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

/** Lets connections to published ports (conntrack: destination NATed) through isolation. */
export const PUBLISHED_PORT_RETURN = ["-m", "conntrack", "--ctstate", "DNAT", "-j", "RETURN"];

/** One daemon's chains, the jumps into them and its networks' rules. */
export class Firewall {
  readonly chains: ChainNames;
  /** False once ip6tables failed: IPv6 networks then go without rules (logged once). */
  private ip6tables = true;

  constructor(defaultBridge: string) {
    this.chains = chainNames(defaultBridge);
  }

  /** Creates the chains and the jumps into them (idempotent). */
  async ensureChains(): Promise<void> {
    await this.ensureFamilyChains(4);
    try {
      await this.ensureFamilyChains(6);
      this.ip6tables = true;
    } catch (err) {
      this.ip6tables = false;
      log.warn("ip6tables unavailable: IPv6 networks get no isolation, forwarding or masquerade rules", {
        err: err as Error,
      });
    }
  }

  private async ensureFamilyChains(family: Family): Promise<void> {
    const c = this.chains;
    await ensureChain("filter", c.forward, family);
    await ensureChain("filter", c.isolation1, family);
    await ensureChain("filter", c.isolation2, family);
    await ensureChain("nat", c.postrouting, family);
    await ensureRule("filter", c.forward, ["-j", c.isolation1], true, family);
    // A published port is open to every network, as Docker's userland proxy makes it: a
    // connection DNATed to it (a container reaching it through a host address) may cross
    // bridges. Stage 2 only, so --internal networks (dropped in stage 1) still get nowhere.
    await ensureRule("filter", c.isolation2, PUBLISHED_PORT_RETURN, true, family);
    await ensureRule("filter", "FORWARD", ["-j", c.forward], true, family);
    await ensureRule("nat", "POSTROUTING", ["-j", c.postrouting], false, family);
  }

  /**
   * Takes the jumps out of the built-in chains, then flushes and deletes this daemon's chains
   * (everything in them is this daemon's). Missing chains are fine: idempotent.
   */
  async removeChains(): Promise<void> {
    const c = this.chains;
    for (const family of [4, 6] as const) {
      if (family === 6 && !(await chainExists("filter", c.forward, 6))) continue;
      await deleteRule("filter", "FORWARD", ["-j", c.forward], family);
      await deleteRule("nat", "POSTROUTING", ["-j", c.postrouting], family);
      // FORWARD's chain jumps to stage 1, stage 1 to stage 2: delete in that order.
      await deleteChain("filter", c.forward, family);
      await deleteChain("filter", c.isolation1, family);
      await deleteChain("filter", c.isolation2, family);
      await deleteChain("nat", c.postrouting, family);
    }
  }

  async addNetworkRules(n: FirewallNetwork): Promise<void> {
    for (const r of networkRules(n, this.chains).filter((r) => this.applies(r)))
      await ensureRule(r.table, r.chain, r.rule, r.first, r.family);
  }

  async removeNetworkRules(n: FirewallNetwork): Promise<void> {
    for (const r of networkRules(n, this.chains).filter((r) => this.applies(r)))
      await deleteRule(r.table, r.chain, r.rule, r.family);
  }

  private applies(r: Rule): boolean {
    return r.family === 4 || this.ip6tables;
  }
}

/** The exact rules of one network, so removing them takes out nothing else. */
export function networkRules(n: FirewallNetwork, chains = chainNames(DEFAULT_BRIDGE)): Rule[] {
  const rules = familyRules(chains, 4, n.bridge, n.subnet, n.internal);
  if (n.subnet6) rules.push(...familyRules(chains, 6, n.bridge, n.subnet6, n.internal));
  return rules;
}

function familyRules(
  chains: ChainNames,
  family: Family,
  bridge: string,
  subnet: string,
  internal: boolean,
): Rule[] {
  // The tag is how wharf (and the test leak check) finds exactly its own rules.
  const c = ["-m", "comment", "--comment", `wharf:${bridge}`];
  const rules: Rule[] = [
    // Stage 1 sends what leaves this bridge for elsewhere to stage 2, which drops it when it
    // enters another wharf bridge.
    {
      family,
      table: "filter",
      chain: chains.isolation1,
      rule: ["-i", bridge, "!", "-o", bridge, ...c, "-j", chains.isolation2],
    },
    { family, table: "filter", chain: chains.isolation2, rule: ["-o", bridge, ...c, "-j", "DROP"] },
  ];
  if (internal) {
    rules.push(
      {
        family,
        table: "filter",
        chain: chains.isolation1,
        rule: ["-i", bridge, "!", "-o", bridge, ...c, "-j", "DROP"],
        first: true,
      },
      {
        family,
        table: "filter",
        chain: chains.isolation1,
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
      chain: chains.forward,
      rule: ["-o", bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", ...c, "-j", "ACCEPT"],
    },
    { family, table: "filter", chain: chains.forward, rule: ["-o", bridge, ...c, "-j", "ACCEPT"] },
    { family, table: "filter", chain: chains.forward, rule: ["-i", bridge, ...c, "-j", "ACCEPT"] },
    {
      family,
      table: "nat",
      chain: chains.postrouting,
      rule: ["-s", subnet, "!", "-o", bridge, ...c, "-j", "MASQUERADE"],
    },
  );
  return rules;
}
