// The HTTP server of the Docker Engine API on a unix socket (mode 0660) or TCP.
import { chmod, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { Router } from "./router.ts";

export function createApiServer(router: Router): Server {
  const server = createServer({ keepAliveTimeout: 60_000, requestTimeout: 0 }, (req, res) => {
    void router.dispatch(req, res);
  });
  server.on("upgrade", (req, socket, head) => {
    void router.dispatch(req, undefined, socket, head);
  });
  // Streams (logs -f, events, wait) stay open as long as the client wants.
  server.headersTimeout = 60_000;
  server.timeout = 0;
  return server;
}

/** Listens on "unix:///path" or "tcp://host:port"; returns a human-readable address. */
export async function listen(server: Server, host: string): Promise<string> {
  if (host.startsWith("unix://")) {
    const path = host.slice("unix://".length);
    await rm(path, { force: true });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      // As dockerd does: the socket is born inaccessible (bind happens inside listen()), then
      // opened to 0660 — never world-writable, not even for a moment.
      const umask = process.umask(0o777);
      try {
        server.listen(path, () => resolve());
      } finally {
        process.umask(umask);
      }
    });
    await chmod(path, 0o660);
    return path;
  }
  const m = /^tcp:\/\/([^:]+|\[[^\]]+\]):(\d+)$/.exec(host);
  if (!m) throw new Error(`invalid --host: ${host} (use unix:///path or tcp://127.0.0.1:PORT)`);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(m[2]), (m[1] as string).replace(/^\[|\]$/g, ""), () => resolve());
  });
  return host;
}
