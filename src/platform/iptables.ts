// iptables and ip6tables through their binaries (nft or legacy backend alike). Rules are added
// only when absent (-C first) and removed one by one, so several wharfd instances, Docker and
// CNI can share a table: wharf touches exactly the rules it added.
import { execFile } from "./exec.ts";

export type Table = "filter" | "nat";
/** 4: iptables, 6: ip6tables. */
export type Family = 4 | 6;

export class IptablesError extends Error {}

function binary(family: Family): string {
  return family === 6 ? "ip6tables" : "iptables";
}

async function iptables(
  family: Family,
  args: string[],
): Promise<{ code: number; stderr: string; stdout: string }> {
  // A missing binary rejects (ENOENT): answer like a failed command so callers see one shape.
  return execFile(binary(family), ["-w", "5", ...args]).catch((err: Error) => ({
    code: 127,
    stdout: "",
    stderr: err.message,
  }));
}

async function must(family: Family, args: string[]): Promise<void> {
  const res = await iptables(family, args);
  if (res.code !== 0) throw new IptablesError(`${binary(family)} ${args.join(" ")}: ${res.stderr.trim()}`);
}

export async function ruleExists(
  table: Table,
  chain: string,
  rule: string[],
  family: Family = 4,
): Promise<boolean> {
  return (await iptables(family, ["-t", table, "-C", chain, ...rule])).code === 0;
}

/** Creates a chain if missing. */
export async function ensureChain(table: Table, chain: string, family: Family = 4): Promise<void> {
  const res = await iptables(family, ["-t", table, "-N", chain]);
  if (res.code !== 0 && !/exists/i.test(res.stderr)) {
    throw new IptablesError(`${binary(family)} -t ${table} -N ${chain}: ${res.stderr.trim()}`);
  }
}

/** Appends (or, with `first`, inserts at the top) a rule unless it is already there. */
export async function ensureRule(
  table: Table,
  chain: string,
  rule: string[],
  first = false,
  family: Family = 4,
): Promise<void> {
  if (await ruleExists(table, chain, rule, family)) return;
  await must(family, ["-t", table, first ? "-I" : "-A", chain, ...(first ? ["1"] : []), ...rule]);
}

/** Deletes every copy of a rule; missing rules and chains are fine. */
export async function deleteRule(
  table: Table,
  chain: string,
  rule: string[],
  family: Family = 4,
): Promise<void> {
  for (let i = 0; i < 8 && (await ruleExists(table, chain, rule, family)); i++) {
    await must(family, ["-t", table, "-D", chain, ...rule]);
  }
}

/** The rules of a chain in `iptables -S` form (empty when the chain does not exist). */
export async function listRules(table: Table, chain: string, family: Family = 4): Promise<string[]> {
  const res = await iptables(family, ["-t", table, "-S", chain]);
  if (res.code !== 0) return [];
  return res.stdout.split("\n").filter((l) => l.startsWith("-A "));
}

export async function chainExists(table: Table, chain: string, family: Family = 4): Promise<boolean> {
  return (await iptables(family, ["-t", table, "-S", chain])).code === 0;
}

/** Flushes and deletes a chain the caller owns outright; a missing chain is fine. */
export async function deleteChain(table: Table, chain: string, family: Family = 4): Promise<void> {
  if (!(await chainExists(table, chain, family))) return;
  await must(family, ["-t", table, "-F", chain]);
  await must(family, ["-t", table, "-X", chain]);
}

/** `iptables -S` of a whole table: chain declarations (`-N`, `-P`) and rules (`-A`). */
export async function tableRules(table: Table, family: Family = 4): Promise<string[]> {
  const res = await iptables(family, ["-t", table, "-S"]);
  return res.code === 0 ? res.stdout.split("\n").filter((l) => l.length > 0) : [];
}

/**
 * Applies `lines` (iptables-restore syntax, e.g. "-D CHAIN …", "-X CHAIN") to one table as one
 * transaction: either all take effect or none does (a chain still holding or referenced by a
 * rule fails its -X, and with it the whole batch). False when the batch was refused.
 */
export async function applyAtomically(table: Table, lines: string[], family: Family = 4): Promise<boolean> {
  const input = `*${table}\n${lines.join("\n")}\nCOMMIT\n`;
  const res = await execFile(`${binary(family)}-restore`, ["--noflush", "-w", "5"], { input }).catch(
    (err: Error) => ({ code: 127, stdout: "", stderr: err.message }),
  );
  return res.code === 0;
}
