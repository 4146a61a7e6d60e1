// A tiny Docker Engine API client over a unix socket, on node:http with keep-alive, so the
// benchmarks measure the daemon and not a client library or a CLI's start-up.
import { Agent, type IncomingMessage, request } from "node:http";
import type { Duplex, Readable } from "node:stream";

/** The API version both daemons are spoken to in (Docker 20.10's maximum). */
export const API_VERSION = "1.41";

export type Query = Record<string, string | number | boolean | string[] | undefined>;

export interface CallOptions {
  query?: Query;
  /** A JSON value (sent as application/json), raw bytes, or a stream (sent chunked). */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface ApiResponse {
  status: number;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

/** An HTTP status the caller did not expect; `status` lets feature probes tell 404/501 apart. */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, method: string, path: string, text: string) {
    // Full 64-hex IDs make a table footnote unreadable; 12 characters identify them.
    const short = path.replace(/[0-9a-f]{64}/g, (id) => id.slice(0, 12));
    super(`${method} ${short}: ${status} ${summarize(text)}`);
    this.status = status;
  }
}

function summarize(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === "string") return parsed.message;
  } catch {
    // not JSON: use the text itself
  }
  return text.trim().slice(0, 200);
}

export function buildPath(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) params.append(k, item);
    else params.append(k, typeof v === "boolean" ? (v ? "1" : "0") : String(v));
  }
  const qs = params.toString();
  return `/v${API_VERSION}${path}${qs ? `?${qs}` : ""}`;
}

function isReadable(v: unknown): v is Readable {
  return typeof v === "object" && v !== null && typeof (v as Readable).pipe === "function";
}

export class ApiClient {
  readonly socketPath: string;
  private readonly agent: Agent;

  constructor(socketPath: string) {
    this.socketPath = socketPath;
    this.agent = new Agent({ keepAlive: true, maxSockets: 64 });
  }

  close(): void {
    this.agent.destroy();
  }

  /** Sends a request and hands back the response before its body is read. */
  open(method: string, path: string, opts: CallOptions = {}): Promise<IncomingMessage> {
    const fullPath = path === "/_ping" ? path : buildPath(path, opts.query);
    const headers: Record<string, string> = { Host: "docker", ...opts.headers };
    let payload: Buffer | Readable | undefined;
    if (isReadable(opts.body)) {
      payload = opts.body;
      headers["Content-Type"] = opts.contentType ?? "application/x-tar";
    } else if (Buffer.isBuffer(opts.body)) {
      payload = opts.body;
      headers["Content-Type"] = opts.contentType ?? "application/x-tar";
    } else if (opts.body !== undefined) {
      payload = Buffer.from(JSON.stringify(opts.body));
      headers["Content-Type"] = "application/json";
    }
    if (Buffer.isBuffer(payload)) headers["Content-Length"] = String(payload.length);
    return new Promise((resolve, reject) => {
      const req = request({
        socketPath: this.socketPath,
        agent: this.agent,
        method,
        path: fullPath,
        headers,
      });
      const timeoutMs = opts.timeoutMs ?? 120_000;
      req.setTimeout(timeoutMs, () =>
        req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)),
      );
      req.on("error", reject);
      req.on("response", resolve);
      if (isReadable(payload)) {
        payload.on("error", (err) => req.destroy(err));
        payload.pipe(req);
      } else {
        req.end(payload);
      }
    });
  }

  /** A full request; any status outside 2xx (and `accept`) throws an ApiError. */
  async call(
    method: string,
    path: string,
    opts: CallOptions = {},
    accept: number[] = [],
  ): Promise<ApiResponse> {
    const res = await this.open(method, path, opts);
    const body = await readAll(res);
    const status = res.statusCode ?? 0;
    if ((status < 200 || status > 299) && !accept.includes(status)) {
      throw new ApiError(status, method, path, body.toString("utf8"));
    }
    return { status, headers: res.headers, body };
  }

  async json<T>(method: string, path: string, opts: CallOptions = {}): Promise<T> {
    const res = await this.call(method, path, opts);
    return JSON.parse(res.body.toString("utf8")) as T;
  }

  /**
   * A JSON-lines progress stream (import, load, pull, push, build). Those answer 200 even when
   * the work fails, with the error inside the stream: that is turned into a thrown Error.
   */
  async progress(method: string, path: string, opts: CallOptions = {}): Promise<Record<string, unknown>[]> {
    const res = await this.call(method, path, opts);
    const messages: Record<string, unknown>[] = [];
    for (const line of res.body.toString("utf8").split(/\r?\n/)) {
      if (!line.trim()) continue;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (msg.error !== undefined || msg.errorDetail !== undefined) {
        throw new Error(`${method} ${path}: ${String(msg.error ?? JSON.stringify(msg.errorDetail))}`);
      }
      messages.push(msg);
    }
    return messages;
  }

  /**
   * A hijacked request (exec start, attach): Upgrade: tcp, then raw bytes until the daemon
   * closes. Resolves with everything received after the headers.
   */
  hijack(path: string, opts: CallOptions = {}): Promise<Buffer> {
    const payload = Buffer.from(JSON.stringify(opts.body ?? {}));
    return new Promise((resolve, reject) => {
      const req = request({
        socketPath: this.socketPath,
        agent: false,
        method: "POST",
        path: buildPath(path, opts.query),
        headers: {
          Host: "docker",
          Connection: "Upgrade",
          Upgrade: "tcp",
          "Content-Type": "application/json",
          "Content-Length": String(payload.length),
        },
      });
      const timeoutMs = opts.timeoutMs ?? 60_000;
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`POST ${path}: no answer in ${timeoutMs} ms`)));
      req.on("error", reject);
      req.on("upgrade", (_res: IncomingMessage, socket: Duplex, head: Buffer) => {
        const chunks: Buffer[] = [head];
        socket.on("data", (c: Buffer) => chunks.push(c));
        socket.on("error", reject);
        socket.on("close", () => resolve(Buffer.concat(chunks)));
        socket.on("end", () => socket.destroy());
      });
      // A daemon that does not upgrade either streams the output as a plain body or fails.
      req.on("response", (res: IncomingMessage) => {
        readAll(res).then((body) => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(body);
          else reject(new ApiError(status, "POST", path, body.toString("utf8")));
        }, reject);
      });
      req.end(payload);
    });
  }
}

export function readAll(res: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (c: Buffer) => chunks.push(c));
    res.on("end", () => resolve(Buffer.concat(chunks)));
    res.on("error", reject);
  });
}

/** Reads a response to its end without keeping it; returns the byte count. */
export function drain(res: Readable): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    res.on("data", (c: Buffer) => {
      n += c.length;
    });
    res.on("end", () => resolve(n));
    res.on("error", reject);
  });
}
