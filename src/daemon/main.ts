// wharfd: the daemon's entry point. Containers keep running under conmon when it stops.

import { rm } from "node:fs/promises";
import type { Server } from "node:http";
import { createApiServer, listen } from "../api/server.ts";
import { log, setLogLevel } from "../util/log.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { lockDataRoot } from "./lock.ts";
import { buildEngine } from "./wire-up.ts";

// One failed background task (an exit handler, a log follower) must not take every container's
// API down with it: log it and keep serving.
process.on("unhandledRejection", (err) => {
  log.error("unhandled rejection", {
    err: err instanceof Error ? err.message : String(err),
    stack: (err as Error)?.stack,
  });
});
process.on("uncaughtException", (err) => {
  log.error("uncaught exception", { err: err.message, stack: err.stack });
});

async function main(): Promise<number> {
  const config = loadConfig(process.argv.slice(2));
  if (!config) return 0;
  setLogLevel(config.logLevel);
  if (process.getuid?.() !== 0) throw new ConfigError("wharfd needs to run as root");
  const lock = await lockDataRoot(config.dataRoot);
  const engine = await buildEngine(config);
  const servers: Server[] = [];
  const sockets: string[] = [];
  try {
    for (const host of config.hosts) {
      const server = createApiServer(engine.router);
      servers.push(server);
      const address = await listen(server, host);
      if (host.startsWith("unix://")) sockets.push(address);
      log.info("API listening", { address });
    }
  } catch (err) {
    // A socket we cannot listen on (in use, no such directory): undo what start-up set up.
    for (const server of servers) server.close();
    for (const path of sockets) await rm(path, { force: true });
    await engine.close();
    throw new ConfigError(`cannot listen: ${(err as Error).message}`);
  }
  log.info("wharfd started", { dataRoot: config.dataRoot, execRoot: config.execRoot, pid: process.pid });

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info("shutting down; containers keep running", { signal });
      resolve();
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  for (const server of servers) {
    server.close();
    server.closeAllConnections();
  }
  for (const path of sockets) await rm(path, { force: true });
  await engine.close();
  lock.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof ConfigError) process.stderr.write(`wharfd: ${message}\n`);
    else log.error("wharfd failed", { err: message, stack: err instanceof Error ? err.stack : undefined });
    process.exit(1);
  },
);
