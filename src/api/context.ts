// One API request: parsed path, query and body, plus Docker-shaped response helpers. The same
// shape serves plain requests and hijacked (Upgrade: tcp) ones used by attach and exec.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex, Readable, Writable } from "node:stream";
import { InvalidParameterError } from "../engine/errors.ts";

export const maxApiVersion = "1.50";
export const minApiVersion = "1.24";
export const serverName = "wharf/0.1.0 (linux)";

export function commonHeaders(version: string = maxApiVersion): Record<string, string> {
  return {
    "Api-Version": version,
    "Docker-Experimental": "false",
    Ostype: "linux",
    Server: serverName,
  };
}

export interface HijackedStream {
  /** Where the raw stream goes: the connection after a 101, or the chunked body of a 200. */
  output: Writable;
  /** The client's side of the stream (stdin), if it can send one. */
  input: Readable;
  /** Bytes the client sent after the request head (start of stdin). */
  head: Buffer;
}

export class RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse | undefined;
  readonly upgradeSocket: Duplex | undefined;
  readonly params: string[];
  readonly query: URLSearchParams;
  readonly version: string;
  private upgradeHead: Buffer;
  /** Aborted when the client goes away (long polls and streams stop then). */
  readonly abort = new AbortController();

  constructor(opts: {
    req: IncomingMessage;
    res?: ServerResponse;
    socket?: Duplex;
    head?: Buffer;
    params: string[];
    query: URLSearchParams;
    version: string;
  }) {
    this.req = opts.req;
    this.res = opts.res;
    this.upgradeSocket = opts.socket;
    this.upgradeHead = opts.head ?? Buffer.alloc(0);
    this.params = opts.params;
    this.query = opts.query;
    this.version = opts.version;
    const onClose = () => this.abort.abort();
    if (this.res) this.res.on("close", onClose);
    else this.upgradeSocket?.on("close", onClose);
  }

  /** Bytes the client sent after the head of an upgrade request (for protocols served here). */
  get upgradeHeadBytes(): Buffer {
    return this.upgradeHead;
  }

  param(i: number): string {
    return decodeURIComponent(this.params[i] ?? "");
  }

  /** Docker's query booleans: 1/true/True/yes are true; 0/false/False/no/"" are false. */
  bool(name: string, fallback = false): boolean {
    const v = this.query.get(name);
    if (v === null) return fallback;
    return !["", "0", "false", "no"].includes(v.toLowerCase());
  }

  int(name: string): number | undefined {
    const v = this.query.get(name);
    if (v === null || v === "") return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new InvalidParameterError(`invalid value for ${name}: ${v}`);
    return n;
  }

  str(name: string): string | undefined {
    return this.query.get(name) ?? undefined;
  }

  /** The raw body. For upgrade requests it is read from the socket by Content-Length. */
  async rawBody(): Promise<Buffer> {
    if (!this.upgradeSocket) {
      const chunks: Buffer[] = [];
      for await (const chunk of this.req) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    }
    const length = Number(this.req.headers["content-length"] ?? 0);
    // Node (24+) parses an upgrade request's Content-Length body itself and hands it to `req`.
    if (length > 0 && this.upgradeHead.length === 0) {
      const chunks: Buffer[] = [];
      for await (const chunk of this.req) chunks.push(chunk as Buffer);
      this.upgradeHead = Buffer.concat(chunks);
    }
    while (this.upgradeHead.length < length) {
      const chunk = await new Promise<Buffer>((resolve, reject) => {
        this.upgradeSocket?.once("data", resolve);
        this.upgradeSocket?.once("error", reject);
      });
      this.upgradeHead = Buffer.concat([this.upgradeHead, chunk]);
    }
    const body = this.upgradeHead.subarray(0, length);
    this.upgradeHead = this.upgradeHead.subarray(length);
    return body;
  }

  /**
   * Parses a JSON object body; an empty body is `{}`. Malformed JSON is a 400, and so is a body
   * not declared as JSON (Docker's CheckForJSON: no Content-Type is fine only without a body).
   */
  async json<T>(): Promise<T> {
    const raw = (await this.rawBody()).toString("utf8").trim();
    const type = this.req.headers["content-type"] ?? "";
    const declaredJson = type.split(";")[0]?.trim().toLowerCase() === "application/json";
    if (!declaredJson && (type !== "" || raw !== "")) {
      throw new InvalidParameterError(`Content-Type specified (${type}) must be 'application/json'`);
    }
    if (raw === "") return {} as T;
    try {
      return JSON.parse(raw) as T;
    } catch (err) {
      throw new InvalidParameterError(`invalid JSON: ${(err as Error).message}`);
    }
  }

  send(status: number, body?: unknown, headers: Record<string, string> = {}): void {
    if (this.res) {
      if (body === undefined) {
        this.res.writeHead(status, { ...commonHeaders(this.version), ...headers });
        this.res.end();
        return;
      }
      const text = typeof body === "string" ? body : `${JSON.stringify(body)}\n`;
      this.res.writeHead(status, {
        ...commonHeaders(this.version),
        "Content-Type": typeof body === "string" ? "text/plain; charset=utf-8" : "application/json",
        "Content-Length": String(Buffer.byteLength(text)),
        ...headers,
      });
      this.res.end(text);
      return;
    }
    // A hijack-capable route answered without hijacking: write a plain HTTP response.
    const text = body === undefined ? "" : typeof body === "string" ? body : `${JSON.stringify(body)}\n`;
    const head = [
      `HTTP/1.1 ${status} ${status < 400 ? "OK" : "Error"}`,
      ...Object.entries({ ...commonHeaders(this.version), ...headers }).map(([k, v]) => `${k}: ${v}`),
      "Content-Type: application/json",
      `Content-Length: ${Buffer.byteLength(text)}`,
      "",
      "",
    ].join("\r\n");
    this.upgradeSocket?.end(head + text);
  }

  /** Starts a streamed response (chunked), headers flushed at once. */
  stream(contentType: string | undefined, status = 200): ServerResponse {
    if (!this.res) throw new Error("stream() on a hijacked request");
    const headers: Record<string, string> = { ...commonHeaders(this.version) };
    if (contentType) headers["Content-Type"] = contentType;
    this.res.writeHead(status, headers);
    this.res.flushHeaders();
    return this.res;
  }

  /**
   * Takes over the connection for a raw stream: answers 101 UPGRADED to an upgrade request,
   * or 200 with a raw-stream body to a plain one.
   */
  hijack(extraHeaders: Record<string, string> = {}): HijackedStream {
    if (this.upgradeSocket) {
      const head = [
        "HTTP/1.1 101 UPGRADED",
        "Content-Type: application/vnd.docker.raw-stream",
        "Connection: Upgrade",
        "Upgrade: tcp",
        ...Object.entries(extraHeaders).map(([k, v]) => `${k}: ${v}`),
        "",
        "",
      ].join("\r\n");
      this.upgradeSocket.write(head);
      return { output: this.upgradeSocket, input: this.upgradeSocket, head: this.upgradeHead };
    }
    const res = this.res as ServerResponse;
    res.writeHead(200, {
      ...commonHeaders(this.version),
      "Content-Type": "application/vnd.docker.raw-stream",
    });
    res.flushHeaders();
    return { output: res, input: this.req, head: Buffer.alloc(0) };
  }
}
