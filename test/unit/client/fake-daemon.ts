// A tiny stand-in daemon on a temp unix socket: records requests and answers from a handler.
import { mkdtempSync, rmSync } from "node:fs";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";

export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface FakeDaemon {
  socket: string;
  host: string;
  seen: Seen[];
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export async function fakeDaemon(handler: Handler, onUpgrade?: UpgradeHandler): Promise<FakeDaemon> {
  const dir = mkdtempSync(join(tmpdir(), "wharf-fake-daemon-"));
  const socket = join(dir, "d.sock");
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => {
      body += d.toString();
    });
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      handler(req, res, body);
    });
  });
  server.on("upgrade", (req: IncomingMessage, sock: Duplex, head: Buffer) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: "" });
    if (onUpgrade) onUpgrade(req, sock, head);
    else sock.destroy();
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    socket,
    host: `unix://${socket}`,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Answers HEAD/GET /_ping with the given API version header (none when undefined). */
export function ping(res: ServerResponse, req: IncomingMessage, version: string | undefined): boolean {
  if (!req.url?.startsWith("/_ping")) return false;
  if (version) res.setHeader("Api-Version", version);
  res.setHeader("Ostype", "linux");
  res.end(req.method === "HEAD" ? undefined : "OK");
  return true;
}
