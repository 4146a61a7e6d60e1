// CNI portmap's host-wide nat chains (CNI-HOSTPORT-DNAT/-MASQ/-SETMARK) and its jumps from
// PREROUTING, OUTPUT and POSTROUTING outlive the last published port: portmap never removes
// them. They are shared by every CNI user on the host, so they go only once empty, in one
// iptables-restore transaction (a rule added meanwhile makes the chain's -X fail, and the
// whole batch with it). The host lock keeps another wharfd's portmap ADD, which creates the
// chains and then fills them in separate steps, from landing between those steps.
import { withHostLock } from "../../platform/host-lock.ts";
import { applyAtomically, type Family, tableRules } from "../../platform/iptables.ts";
import { log } from "../../util/log.ts";

const LOCK = "/run/lock/wharf-cni-portmap.lock";
export const PORTMAP_CHAINS = ["CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-MASQ", "CNI-HOSTPORT-SETMARK"];
const BUILTIN = ["PREROUTING", "OUTPUT", "POSTROUTING"];

/** Runs a CNI ADD that has a portmap plugin, so no cleanup removes its chains half-way. */
export function withPortmapLock<T>(fn: () => Promise<T>): Promise<T> {
  return withHostLock(LOCK, fn);
}

/**
 * The batch that deletes portmap's chains and the jumps into them, or null while a port is
 * still published (CNI-HOSTPORT-DNAT holds a rule) or the chains are absent.
 * `lines`: `iptables -t nat -S`.
 */
export function portmapCleanup(lines: readonly string[]): string[] | null {
  const declared = PORTMAP_CHAINS.filter((c) => lines.includes(`-N ${c}`));
  if (declared.length === 0) return null;
  if (lines.some((l) => l.startsWith("-A CNI-HOSTPORT-DNAT "))) return null;
  const targets = (l: string) =>
    PORTMAP_CHAINS.some((c) => l.endsWith(` -j ${c}`) || l.includes(` -j ${c} `));
  // Portmap's own base rules, and the built-in chains' jumps into its chains. A jump from any
  // other chain is someone else's: it stays, and its reference makes the batch fail.
  const rules = lines.filter((l) => {
    const chain = l.split(" ")[1] ?? "";
    return l.startsWith("-A ") && (PORTMAP_CHAINS.includes(chain) || (BUILTIN.includes(chain) && targets(l)));
  });
  return [...rules.map((l) => `-D ${l.slice(3)}`), ...declared.map((c) => `-X ${c}`)];
}

/** Deletes portmap's chains in iptables and ip6tables where no port is published any more. */
export async function removeIdlePortmapChains(): Promise<void> {
  await withHostLock(LOCK, async () => {
    for (const family of [4, 6] as const satisfies Family[]) {
      const batch = portmapCleanup(await tableRules("nat", family));
      if (batch && !(await applyAtomically("nat", batch, family)))
        log.debug("CNI portmap chains still in use; left in place", { family });
    }
  });
}
