// Response helpers: JSON bodies, empty bodies, and errors in the spec's error format.
import type { IncomingMessage, ServerResponse } from "node:http";
import { errorBody, RegistryError, RegistryErrors } from "../errors.ts";

export type Headers = Record<string, string | number>;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Headers = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Headers = {}): void {
  res.writeHead(status, { "Content-Length": 0, ...headers });
  res.end();
}

/** Sends an error response; unexpected errors become 500 UNKNOWN and are reported to the log. */
export function sendError(res: ServerResponse, err: unknown, onUnexpected: (err: unknown) => void): void {
  let errors: RegistryError[];
  let status: number;
  if (err instanceof RegistryErrors) {
    errors = err.errors;
    status = err.status;
  } else if (err instanceof RegistryError) {
    errors = [err];
    status = err.status;
  } else {
    onUnexpected(err);
    errors = [new RegistryError("UNKNOWN", "internal server error")];
    status = 500;
  }
  if (res.headersSent) {
    // The body was already streaming: the only honest signal left is a broken connection.
    res.destroy();
    return;
  }
  const text = errorBody(errors);
  const headers: Headers = { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) };
  for (const e of errors) Object.assign(headers, e.headers);
  res.writeHead(status, headers);
  res.end(text);
}

/** Whether the request announces a body (a chunk to store). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  if (length !== undefined) return Number(length) > 0;
  return req.headers["transfer-encoding"] !== undefined;
}

/** Reads a small body into memory, refusing more than `limit` bytes with 413. */
export async function readBodyLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () =>
    new RegistryError("MANIFEST_INVALID", `manifest exceeds the ${limit}-byte limit`, {
      status: 413,
      detail: { limit },
      headers: { Connection: "close" },
    });
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > limit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
