// HTTP/1.1 to the daemon over a unix socket or TCP (optionally TLS): plain requests share one
// keep-alive agent; hijacked requests (attach, exec) get a connection of their own, as the
// docker CLI does.
import type http from "node:http";
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import type https from "node:https";
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import { ApiError, ConnectionError, errorMessageFromBody } from "./errors.ts";
import type { DaemonHost } from "./host.ts";

// Every CLI command starts here, so start-up time matters: an ESM `import` of node:http makes
// Node evaluate all of the module's lazy getters (undici's WebSocket & co., ~100 ms on Node 26),
// and node:https pulls in crypto and tls. getBuiltinModule skips the ESM facade, and https is
// only loaded for a TLS daemon.
const httpModule = (): typeof http => process.getBuiltinModule("node:http");
const httpsModule = (): typeof https => process.getBuiltinModule("node:https");

export interface TlsOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Check the daemon's certificate (--tlsverify). */
  verify: boolean;
}

export interface TransportRequest {
  method: string;
  /** Path and query string, already versioned. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer | Readable;
  signal?: AbortSignal;
}

export interface Hijacked {
  /** The raw connection: output of the container to read, stdin to write. */
  socket: Socket;
  headers: IncomingHttpHeaders;
}

export async function readBody(res: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/** Throws the daemon's error for a non-2xx/3xx response (and consumes its body). */
export async function checkResponse(res: IncomingMessage): Promise<IncomingMessage> {
  const status = res.statusCode ?? 0;
  if (status < 400) return res;
  throw new ApiError(status, errorMessageFromBody(await readBody(res), status));
}

export class Transport {
  readonly host: DaemonHost;
  private readonly tls: TlsOptions | undefined;
  private readonly agent: http.Agent;
  private readonly userAgent: string;

  constructor(host: DaemonHost, opts: { tls?: TlsOptions; userAgent: string }) {
    this.host = host;
    this.tls = opts.tls;
    this.userAgent = opts.userAgent;
    const agentOpts = { keepAlive: true, maxSockets: Number.POSITIVE_INFINITY };
    this.agent = this.tls
      ? new (httpsModule().Agent)({ ...agentOpts, ...this.tlsOptions() })
      : new (httpModule().Agent)(agentOpts);
  }

  private tlsOptions(): { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean } {
    const t = this.tls;
    if (!t) return {};
    return { ca: t.ca, cert: t.cert, key: t.key, rejectUnauthorized: t.verify };
  }

  private baseOptions(): http.RequestOptions {
    const headers = { "User-Agent": this.userAgent };
    if (this.host.kind === "unix") {
      // What the docker CLI sends over a socket; the name never resolves anywhere.
      return { socketPath: this.host.socketPath, headers: { ...headers, Host: "api.moby.localhost" } };
    }
    return { host: this.host.host, port: this.host.port, headers, ...this.tlsOptions() };
  }

  private connectionError(err: NodeJS.ErrnoException): Error {
    if (err.name === "AbortError") return err;
    const url = this.host.url;
    if (err.code === "EACCES" || err.code === "EPERM") {
      return new ConnectionError(
        `permission denied while trying to connect to the Docker daemon socket at ${url}: ${err.message}`,
        err.code,
      );
    }
    if (err.code === "ECONNREFUSED" || err.code === "ENOENT" || err.code === "ENOTFOUND") {
      return new ConnectionError(
        `Cannot connect to the Docker daemon at ${url}. Is the docker daemon running?`,
        err.code,
      );
    }
    return new ConnectionError(`error during connect: ${err.message}`, err.code);
  }

  private start(req: TransportRequest, agent: http.Agent | false): http.ClientRequest {
    const base = this.baseOptions();
    const requester = this.tls ? httpsModule().request : httpModule().request;
    const headers = { ...(base.headers as Record<string, string>), ...req.headers };
    return requester({ ...base, agent, method: req.method, path: req.path, headers, signal: req.signal });
  }

  private send(r: http.ClientRequest, body: TransportRequest["body"]): void {
    if (body instanceof Readable) {
      body.on("error", (err) => r.destroy(err));
      body.pipe(r);
    } else {
      r.end(body);
    }
  }

  /** Sends a request; resolves once the response headers are in (any status). */
  request(req: TransportRequest): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const r = this.start(req, this.agent);
      let answered = false;
      r.on("response", (res) => {
        answered = true;
        resolve(res);
      });
      r.on("error", (err: NodeJS.ErrnoException) => {
        if (!answered) reject(this.connectionError(err));
      });
      this.send(r, req.body);
    });
  }

  /** A request answered with 101 UPGRADED, after which the socket carries raw bytes both ways. */
  hijack(req: TransportRequest): Promise<Hijacked> {
    return new Promise((resolve, reject) => {
      const r = this.start(
        { ...req, headers: { ...req.headers, Connection: "Upgrade", Upgrade: "tcp" } },
        false,
      );
      r.on("upgrade", (res, socket, head) => {
        if (head.length > 0) socket.unshift(head);
        resolve({ socket, headers: res.headers });
      });
      r.on("response", (res) => {
        checkResponse(res).then((ok) => {
          ok.resume();
          reject(new Error(`unable to upgrade to tcp, received ${ok.statusCode}`));
        }, reject);
      });
      r.on("error", (err: NodeJS.ErrnoException) => reject(this.connectionError(err)));
      this.send(r, req.body ?? "");
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
