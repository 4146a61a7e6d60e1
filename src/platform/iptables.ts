// iptables through the iptables binary (nft or legacy backend alike). Rules are added only when
// absent (-C first) and removed one by one, so several wharfd instances, Docker and CNI can
// share a table: wharf touches exactly the rules it added.
import { execFile } from "./exec.ts";

export type Table = "filter" | "nat";

export class IptablesError extends Error {}

async function iptables(args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  return execFile("iptables", ["-w", "5", ...args]);
}

async function must(args: string[]): Promise<void> {
  const res = await iptables(args);
  if (res.code !== 0) throw new IptablesError(`iptables ${args.join(" ")}: ${res.stderr.trim()}`);
}

export async function ruleExists(table: Table, chain: string, rule: string[]): Promise<boolean> {
  return (await iptables(["-t", table, "-C", chain, ...rule])).code === 0;
}

/** Creates a chain if missing. */
export async function ensureChain(table: Table, chain: string): Promise<void> {
  const res = await iptables(["-t", table, "-N", chain]);
  if (res.code !== 0 && !/exists/i.test(res.stderr)) {
    throw new IptablesError(`iptables -t ${table} -N ${chain}: ${res.stderr.trim()}`);
  }
}

/** Appends (or, with `first`, inserts at the top) a rule unless it is already there. */
export async function ensureRule(table: Table, chain: string, rule: string[], first = false): Promise<void> {
  if (await ruleExists(table, chain, rule)) return;
  await must(["-t", table, first ? "-I" : "-A", chain, ...(first ? ["1"] : []), ...rule]);
}

/** Deletes every copy of a rule; missing rules and chains are fine. */
export async function deleteRule(table: Table, chain: string, rule: string[]): Promise<void> {
  for (let i = 0; i < 8 && (await ruleExists(table, chain, rule)); i++) {
    await must(["-t", table, "-D", chain, ...rule]);
  }
}

/** The rules of a chain in `iptables -S` form (empty when the chain does not exist). */
export async function listRules(table: Table, chain: string): Promise<string[]> {
  const res = await iptables(["-t", table, "-S", chain]);
  if (res.code !== 0) return [];
  return res.stdout.split("\n").filter((l) => l.startsWith("-A "));
}
