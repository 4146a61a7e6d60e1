// Local network helpers: a free port, waiting for an HTTP server to answer, the host's address.
import { get } from "node:http";
import { createServer } from "node:net";
import { networkInterfaces } from "node:os";
import { sh, sleep } from "./sh.ts";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function status(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = get(url, { timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
  });
}

/** Polls until `url` answers 200 (or `ok` says so); throws after `timeoutMs`. */
export async function waitHttp(
  url: string,
  timeoutMs: number,
  alive: () => boolean = () => true,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if ((await status(url)) === 200) return;
    if (!alive()) throw new Error(`the server for ${url} exited`);
    await sleep(50);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

/**
 * This host's own IPv4 address on the interface of its default route (traffic to it from here
 * stays on the machine), or undefined when there is none.
 */
export async function hostAddress(): Promise<string | undefined> {
  const route = await sh("ip", ["-4", "route", "show", "default"]);
  const dev = /\bdev (\S+)/.exec(route.stdout)?.[1];
  return (dev ? networkInterfaces()[dev] : undefined)?.find((a) => a.family === "IPv4" && !a.internal)
    ?.address;
}
