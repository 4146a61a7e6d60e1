// The registries push/pull are measured against, each on 127.0.0.1 with a fresh root:
// Debian's docker-registry (distribution 2.8) for Docker, `wharf registry serve` for wharf.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitHttp } from "../lib/net.ts";
import { which } from "../lib/sh.ts";
import type { Registry } from "./target.ts";

const REPO_ROOT = new URL("../..", import.meta.url).pathname;
export const WHARF_REGISTRY_MAIN = join(REPO_ROOT, "src/distribution/registry/main.ts");
/** What users run: the CLI launcher, which uses the type-stripped build in dist/. */
const WHARF_CLI = join(REPO_ROOT, "bin/wharf");

async function serve(child: ChildProcess, port: number, what: string): Promise<Registry> {
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (s: string) => {
    stderr = (stderr + s).slice(-2000);
  });
  let exited = false;
  child.on("exit", () => {
    exited = true;
  });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (exited) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 5000).unref();
    });
  try {
    await waitHttp(`http://127.0.0.1:${port}/v2/`, 15_000, () => !exited);
  } catch (err) {
    await stop();
    const last = stderr.trim().split("\n").pop() ?? "";
    throw new Error(`${what} did not start: ${last || (err as Error).message}`);
  }
  return { address: `127.0.0.1:${port}`, pid: child.pid ?? 0, stop };
}

export async function startDistribution(root: string, port: number): Promise<Registry> {
  const bin = await which("docker-registry");
  if (!bin) throw new Error("docker-registry not installed (bench/docker-reference.sh install)");
  mkdirSync(root, { recursive: true });
  const config = join(root, "config.yml");
  writeFileSync(
    config,
    [
      "version: 0.1",
      "log:",
      "  level: error",
      "  accesslog:",
      "    disabled: true",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${join(root, "data")}`,
      "  delete:",
      "    enabled: true",
      "http:",
      `  addr: 127.0.0.1:${port}`,
      "",
    ].join("\n"),
  );
  const child = spawn(bin, ["serve", config], { stdio: ["ignore", "ignore", "pipe"] });
  return serve(child, port, "docker-registry");
}

export async function startWharfRegistry(root: string, port: number): Promise<Registry> {
  if (!existsSync(WHARF_REGISTRY_MAIN))
    throw new Error("wharf registry not landed (src/distribution/registry)");
  mkdirSync(root, { recursive: true });
  const child = spawn(
    WHARF_CLI,
    // --quiet: a request log would be work distribution is not doing here either.
    ["registry", "serve", "--addr", `127.0.0.1:${port}`, "--root", root, "--quiet"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  return serve(child, port, "wharf registry");
}
