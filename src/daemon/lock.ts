// One wharfd per data root: the daemon binds an abstract unix socket named after its data root.
// The kernel releases it when the process dies, so a crash never leaves a stale lock behind.
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:net";
import { resolve } from "node:path";

export async function lockDataRoot(dataRoot: string): Promise<Server> {
  const name = `\0wharfd-${createHash("sha256").update(resolve(dataRoot)).digest("hex").slice(0, 32)}`;
  const server = createServer();
  await new Promise<void>((done, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      reject(
        err.code === "EADDRINUSE"
          ? new Error(`another wharfd is already running on data root ${dataRoot}`)
          : err,
      );
    });
    server.listen(name, () => done());
  });
  server.unref();
  return server;
}
