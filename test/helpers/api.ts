// A minimal Docker API client for tests: raw HTTP over a unix socket, so tests see exactly what
// wharfd (or a reference dockerd) puts on the wire.
import { request } from "node:http";
import type { Readable } from "node:stream";

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json<T = unknown>(): T;
  text(): string;
}

export class TestApi {
  readonly socket: string;
  readonly prefix: string;

  constructor(socket: string, version = "1.41") {
    this.socket = socket;
    this.prefix = version ? `/v${version}` : "";
  }

  call(
    method: string,
    path: string,
    body?: unknown,
    opts: {
      headers?: Record<string, string>;
      raw?: boolean;
      stream?: Readable;
      /** Fails the call when the connection is idle this long (a daemon that never answers). */
      idleTimeoutMs?: number;
    } = {},
  ): Promise<ApiResponse> {
    return new Promise((resolve, reject) => {
      const payload =
        body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
      const headers: Record<string, string> = { ...opts.headers };
      if (payload && !Buffer.isBuffer(body)) headers["Content-Type"] = "application/json";
      const req = request(
        { socketPath: this.socket, method, path: opts.raw ? path : `${this.prefix}${path}`, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const buf = Buffer.concat(chunks);
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: buf,
              json: <T>() => JSON.parse(buf.toString("utf8")) as T,
              text: () => buf.toString("utf8"),
            });
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      if (opts.idleTimeoutMs) {
        const ms = opts.idleTimeoutMs;
        req.setTimeout(ms, () => req.destroy(new Error(`${method} ${path}: no answer within ${ms} ms`)));
      }
      if (opts.stream) opts.stream.pipe(req);
      else req.end(payload);
    });
  }

  async ok<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.call(method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text()}`);
    return (res.body.length ? res.json<T>() : undefined) as T;
  }

  /** create + start; returns the ID. */
  async run(body: Record<string, unknown>, name?: string): Promise<string> {
    const q = name ? `?name=${encodeURIComponent(name)}` : "";
    const { Id } = await this.ok<{ Id: string }>("POST", `/containers/create${q}`, body);
    await this.ok("POST", `/containers/${Id}/start`);
    return Id;
  }

  async waitExit(id: string): Promise<number> {
    const res = await this.ok<{ StatusCode: number }>("POST", `/containers/${id}/wait`);
    return res.StatusCode;
  }
}

/** Splits Docker's multiplexed stream into stdout and stderr text. */
export function demux(buf: Buffer): { stdout: string; stderr: string } {
  let stdout = "";
  let stderr = "";
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    const data = buf.subarray(i + 8, i + 8 + size).toString("utf8");
    if (buf[i] === 2) stderr += data;
    else stdout += data;
    i += 8 + size;
  }
  return { stdout, stderr };
}
