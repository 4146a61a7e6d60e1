// Helpers for registry-client tests: a free port, htpasswd files, and a proxy in front of a
// registry that can cut a blob download short or corrupt it (a registry that drops or lies).

import { writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import bcrypt from "bcryptjs";

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** An htpasswd file (bcrypt) with the given users. */
export async function writeHtpasswd(path: string, users: Record<string, string>): Promise<void> {
  const lines = Object.entries(users).map(([u, p]) => `${u}:${bcrypt.hashSync(p, 4)}`);
  await writeFile(path, `${lines.join("\n")}\n`);
}

export type BlobFault = "cut" | "corrupt" | "extra";

export interface FaultProxy {
  url: string;
  host: string;
  /** Blob GETs seen, with their Range header. */
  blobGets: Array<{ path: string; range: string | undefined }>;
  /** The fault to apply to the next blob GET without a Range header (then cleared). */
  nextFault: BlobFault | undefined;
  /** Only blobs larger than this many bytes get the fault (layers, not configs). */
  faultMinBytes: number;
  /** Manifest GETs still to answer with 503 before passing them on. */
  manifestFailures: number;
  /** When set, blob bodies above faultMinBytes trickle out: `bytes` every `everyMs`. */
  slowBlobs: { bytes: number; everyMs: number } | undefined;
  /** Blob bodies whose client went away before the last byte was sent. */
  blobAborts: number;
  close(): Promise<void>;
}

/** A proxy to `target` that injects one fault into a chosen blob download. */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const t = new URL(target);
  const state: FaultProxy = {
    url: "",
    host: "",
    blobGets: [],
    nextFault: undefined,
    faultMinBytes: 0,
    manifestFailures: 0,
    slowBlobs: undefined,
    blobAborts: 0,
    close: async () => {},
  };
  const server: Server = createServer((req: IncomingMessage, res) => {
    if (req.method === "GET" && /\/manifests\//.test(req.url ?? "") && state.manifestFailures > 0) {
      state.manifestFailures--;
      res.writeHead(503, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ errors: [{ code: "UNAVAILABLE", message: "try later" }] }));
      return;
    }
    const isBlobGet = req.method === "GET" && /\/blobs\/sha256:/.test(req.url ?? "");
    if (isBlobGet) state.blobGets.push({ path: req.url ?? "", range: req.headers.range });
    let fault = isBlobGet && !req.headers.range ? state.nextFault : undefined;
    const upstream = request(
      {
        host: t.hostname,
        port: t.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: t.host },
      },
      (up) => {
        if (fault && Number(up.headers["content-length"] ?? 0) <= state.faultMinBytes) fault = undefined;
        if (fault) state.nextFault = undefined;
        const big = Number(up.headers["content-length"] ?? 0) > state.faultMinBytes;
        if (isBlobGet && !fault && state.slowBlobs && big && (up.statusCode ?? 0) < 300) {
          res.writeHead(up.statusCode ?? 200, up.headers);
          trickle(up, res, state.slowBlobs, () => state.blobAborts++);
          return;
        }
        if (!fault || up.statusCode !== 200) {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        up.on("data", (c: Buffer) => chunks.push(c));
        up.on("end", () => {
          const body = Buffer.concat(chunks);
          if (fault === "cut") {
            // Promise the whole blob, send half, then drop the connection.
            res.writeHead(200, { ...up.headers, "content-length": String(body.length) });
            res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
            return;
          }
          const out = fault === "extra" ? Buffer.concat([body, Buffer.from("more")]) : Buffer.from(body);
          if (fault === "corrupt") out[out.length - 1] = (out[out.length - 1] ?? 0) ^ 0xff;
          res.writeHead(200, { ...up.headers, "content-length": String(out.length) });
          res.end(out);
        });
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${port}`;
  state.host = `127.0.0.1:${port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

/** Sends `up`'s body to `res` a slice at a time; `onAbort` when the client leaves early. */
function trickle(
  up: IncomingMessage,
  res: ServerResponse,
  pace: { bytes: number; everyMs: number },
  onAbort: () => void,
): void {
  const chunks: Buffer[] = [];
  up.on("data", (c: Buffer) => chunks.push(c));
  up.on("end", () => {
    const body = Buffer.concat(chunks);
    let sent = 0;
    const timer = setInterval(() => {
      if (res.destroyed) return;
      const next = body.subarray(sent, sent + pace.bytes);
      sent += next.length;
      if (sent >= body.length) {
        clearInterval(timer);
        res.end(next);
      } else res.write(next);
    }, pace.everyMs);
    res.on("close", () => {
      clearInterval(timer);
      if (sent < body.length) onAbort();
    });
  });
}
