// Host-side network helpers for the port-publishing tests: free port ranges, the host's own
// address, and an HTTP GET that waits for a server to come up.
import { execFileSync } from "node:child_process";
import { createServer, type Server } from "node:net";

/** The IPv4 address of the device holding the host's default route (its "own" address). */
export function hostAddress(): string | undefined {
  const dev = /\bdev (\S+)/.exec(
    execFileSync("ip", ["-4", "route", "show", "default"], { encoding: "utf8" }),
  )?.[1];
  if (!dev) return undefined;
  const out = execFileSync("ip", ["-4", "-o", "addr", "show", "dev", dev], { encoding: "utf8" });
  return /inet (\d+\.\d+\.\d+\.\d+)\//.exec(out)?.[1];
}

export function listen(port: number, host = "0.0.0.0"): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen({ port, host, exclusive: true }, () => resolve(s));
  });
}

export const close = (s: Server) => new Promise<void>((r) => s.close(() => r()));

/** `count` consecutive free TCP ports on every address (checked by binding them). */
export async function freeRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 41000 + Math.floor(Math.random() * 8000);
    const held: Server[] = [];
    try {
      for (let i = 0; i < count; i++) held.push(await listen(base + i));
      return base;
    } catch {
      // taken: another base
    } finally {
      await Promise.all(held.map(close));
    }
  }
  throw new Error("no free port range");
}

/** The body at `url`, retried for ~5 s while the server starts; "" if it never answers. */
export async function httpGet(url: string): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const body = await fetch(url, { signal: AbortSignal.timeout(3000) }).then(
      (r) => r.text(),
      () => "",
    );
    if (body !== "") return body;
    await new Promise((r) => setTimeout(r, 100));
  }
  return "";
}
