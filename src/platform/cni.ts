// Runs CNI plugins (containernetworking-plugins) the way libcni does: one plugin binary per
// step of a chain, the network config on stdin, the runtime's parameters in CNI_* variables,
// each ADD fed the previous step's result, DEL in reverse order.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { execFile } from "./exec.ts";

export const CNI_VERSION = "1.0.0";

export interface CniRuntime {
  containerId: string;
  netns: string;
  ifname: string;
}

/** One plugin's config within a chain (without cniVersion/name/prevResult, which are added). */
export type CniPluginConf = { type: string } & Record<string, unknown>;

export interface CniChain {
  name: string;
  plugins: CniPluginConf[];
}

export type CniResult = Record<string, unknown>;

export class CniError extends Error {
  readonly code: number;
  constructor(plugin: string, code: number, msg: string) {
    super(`plugin type="${plugin}" failed (add): ${msg}`);
    this.code = code;
  }
}

const searchPath = ["/usr/lib/cni", "/opt/cni/bin", "/usr/libexec/cni"];

export function cniPluginDir(): string {
  return searchPath.find((d) => existsSync(join(d, "bridge"))) ?? searchPath[0]!;
}

async function invoke(
  command: "ADD" | "DEL" | "CHECK",
  conf: CniPluginConf & { name: string; cniVersion: string },
  rt: CniRuntime,
): Promise<CniResult | undefined> {
  const dir = cniPluginDir();
  const res = await execFile(join(dir, conf.type), [], {
    input: JSON.stringify(conf),
    env: {
      PATH: process.env.PATH,
      CNI_COMMAND: command,
      CNI_CONTAINERID: rt.containerId,
      CNI_NETNS: rt.netns,
      CNI_IFNAME: rt.ifname,
      CNI_PATH: dir,
    },
  });
  if (res.code !== 0) {
    let msg = (res.stdout || res.stderr).trim();
    let code = res.code;
    try {
      const err = JSON.parse(res.stdout) as { code?: number; msg?: string; details?: string };
      msg = err.details ? `${err.msg}: ${err.details}` : (err.msg ?? msg);
      code = err.code ?? code;
    } catch {
      // not a CNI error document
    }
    throw new CniError(conf.type, code, msg.replace(/^"|"$/g, ""));
  }
  if (command !== "ADD") return undefined;
  return JSON.parse(res.stdout) as CniResult;
}

/** ADD through the chain; on failure the steps already done are deleted again. */
export async function cniAdd(chain: CniChain, rt: CniRuntime): Promise<CniResult> {
  let prev: CniResult | undefined;
  const done: CniPluginConf[] = [];
  try {
    for (const plugin of chain.plugins) {
      const conf = {
        ...plugin,
        cniVersion: CNI_VERSION,
        name: chain.name,
        ...(prev ? { prevResult: prev } : {}),
      };
      done.push(plugin);
      prev = await invoke("ADD", conf, rt);
    }
  } catch (err) {
    await cniDel({ name: chain.name, plugins: done }, rt, prev).catch(() => undefined);
    throw err;
  }
  return prev ?? {};
}

/** DEL through the chain in reverse; tolerant of what is already gone, as the spec requires. */
export async function cniDel(chain: CniChain, rt: CniRuntime, prevResult?: CniResult): Promise<void> {
  let firstError: unknown;
  for (const plugin of [...chain.plugins].reverse()) {
    const conf = {
      ...plugin,
      cniVersion: CNI_VERSION,
      name: chain.name,
      ...(prevResult ? { prevResult } : {}),
    };
    try {
      await invoke("DEL", conf, rt);
    } catch (err) {
      firstError ??= err;
    }
  }
  if (firstError) throw firstError;
}
