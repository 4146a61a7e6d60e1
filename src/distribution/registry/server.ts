// The registry process: owns the root (lock file), serves HTTP or HTTPS, answers gc requests on
// its admin socket, expires upload sessions, and shuts down gracefully.
import { mkdir, readFile } from "node:fs/promises";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { setupAuth } from "./auth/setup.ts";
import { parseListenAddress, type RegistryConfig } from "./config.ts";
import { adminSocketPath, type GcRequest, startAdminServer } from "./gc/admin.ts";
import { collectGarbage, type GcReport } from "./gc/collector.ts";
import { createRequestHandler } from "./http/request-handler.ts";
import { openRegistryStorage, type RegistryStorage } from "./storage/registry-storage.ts";
import { acquireRootLock } from "./storage/root-lock.ts";

export interface RunningRegistry {
  /** Base URL, e.g. http://127.0.0.1:5000 */
  readonly url: string;
  readonly port: number;
  readonly storage: RegistryStorage;
  readonly authMode: "none" | "htpasswd" | "token";
  /** Runs gc inside the serving process (one collection at a time). */
  collectGarbage(request: GcRequest): Promise<GcReport>;
  /** Stops accepting connections, lets requests in flight finish (up to the shutdown timeout). */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Receives request log lines; defaults to stdout when the config enables the log. */
  log?: (line: string) => void;
  /** Receives unexpected errors; defaults to stderr. */
  errorLog?: (line: string) => void;
}

const MAINTENANCE_INTERVAL_MS = 60_000;

export async function startRegistry(
  config: RegistryConfig,
  options: StartOptions = {},
): Promise<RunningRegistry> {
  const errorLog = options.errorLog ?? ((line: string) => process.stderr.write(`${line}\n`));
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  await mkdir(config.root, { recursive: true });
  const storage = openRegistryStorage(config.root, { uploadExpiryMs: config.uploadExpiryMs });
  const adminPath = adminSocketPath(config.root, storage.layout.adminSocketDefault);
  const lock = acquireRootLock(storage.layout.lockFile, { pid: process.pid, admin: adminPath });
  const cleanups: (() => Promise<void> | void)[] = [() => lock.release()];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn();
  };
  try {
    const auth = await setupAuth(config);
    const handler = createRequestHandler({
      storage,
      authorizer: auth.authorizer,
      readOnly: config.readOnly,
      handlers: {
        manifestMaxBytes: config.manifestMaxBytes,
        mountWithoutSource: auth.mode === "none",
        catalogPageSize: config.catalogPageSize,
      },
      ...(auth.token ? { token: auth.token } : {}),
      log: config.requestLog ? log : () => undefined,
      onUnexpectedError: (err) => errorLog(`registry: ${(err as Error)?.stack ?? String(err)}`),
    });
    // Large blobs take as long as they take: no overall request timeout, only for headers.
    const serverOptions = { requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000 };
    const server: Server = config.tls
      ? createHttpsServer(
          { ...serverOptions, cert: await readFile(config.tls.cert), key: await readFile(config.tls.key) },
          handler,
        )
      : createHttpServer(serverOptions, handler);
    const { host, port } = parseListenAddress(config.addr);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    cleanups.push(() => closeHttpServer(server, config.shutdownTimeoutMs));

    let gcQueue: Promise<unknown> = Promise.resolve();
    const runGc = (request: GcRequest): Promise<GcReport> => {
      const run = gcQueue.then(() =>
        collectGarbage(storage, { dryRun: request.dryRun, graceMs: request.graceMs ?? config.gcGraceMs }),
      );
      gcQueue = run.catch(() => undefined);
      return run;
    };
    const admin = await startAdminServer(adminPath, runGc);
    cleanups.push(() => new Promise<void>((resolve) => admin.close(() => resolve())));

    const maintenance = setInterval(() => {
      const now = Date.now();
      storage.retention.prune(now - config.gcGraceMs - MAINTENANCE_INTERVAL_MS);
      storage.uploads
        .purgeExpired(now)
        .catch((err: unknown) => errorLog(`registry: purging uploads: ${err}`));
    }, MAINTENANCE_INTERVAL_MS);
    maintenance.unref();
    cleanups.push(() => clearInterval(maintenance));

    const address = server.address() as AddressInfo;
    const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
    let closing: Promise<void> | undefined;
    return {
      url: `${config.tls ? "https" : "http"}://${urlHost}:${address.port}`,
      port: address.port,
      storage,
      authMode: auth.mode,
      collectGarbage: runGc,
      close: () => {
        closing ??= gcQueue.then(cleanup);
        return closing;
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Graceful close: idle keep-alive connections go now, busy ones when done or at the deadline. */
async function closeHttpServer(server: Server, timeoutMs: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const deadline = setTimeout(() => server.closeAllConnections(), timeoutMs);
    // Connections that finish their request after close() started become idle: drop them too.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    server.close(() => {
      clearTimeout(deadline);
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}
