// ADD <url>: downloads a remote source the way Docker's classic builder does — an http(s) GET
// in the daemon (redirects followed), the body streamed to a file (mode 0600, mtime from
// Last-Modified), named after the URL's last path segment or Content-Disposition. Remote
// files are never unpacked. Errors read as Docker's ("failed to GET … with status 404 …",
// `Get "…": dial tcp …: connect: connection refused`).
import { createWriteStream } from "node:fs";
import { get as httpGet, type IncomingMessage, STATUS_CODES } from "node:http";
import { get as httpsGet } from "node:https";
import { posix } from "node:path";
import { pipeline } from "node:stream/promises";
import { CopyError } from "./copy.ts";

/** Docker's urlutil.IsURL: only these two schemes make a source remote. */
export function isRemoteUrl(source: string): boolean {
  return source.startsWith("http://") || source.startsWith("https://");
}

export interface Download {
  /** The file's name as Docker derives it ("" when the URL and headers give none). */
  name: string;
  /** Last-Modified, or the Unix epoch when absent or unparsable (as Docker). */
  mtime: Date;
}

/** An error body is only there to explain: this much of it goes into the message. */
const maxErrorBody = 4096;
/** Go's http.Client gives up after this many redirects. */
const maxRedirects = 10;

/**
 * GET with redirects followed. node:http rather than fetch: fetch refuses the "bad ports" of
 * the Fetch standard (1, 22, 6000, …), which Docker's Go client downloads from.
 */
async function get(url: URL, signal: AbortSignal): Promise<{ res: IncomingMessage; url: URL }> {
  let current = url;
  for (let hops = 0; ; hops++) {
    const client = current.protocol === "https:" ? httpsGet : httpGet;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      client(current, { signal }, resolve).on("error", reject);
    });
    const location = res.headers.location;
    if (![301, 302, 303, 307, 308].includes(res.statusCode ?? 0) || !location) return { res, url: current };
    res.resume();
    if (hops + 1 >= maxRedirects) throw new Error(`stopped after ${maxRedirects} redirects`);
    current = new URL(location, current);
    if (!isRemoteUrl(current.href))
      throw new Error(`unsupported protocol scheme "${current.protocol.replace(/:$/, "")}"`);
  }
}

async function readCapped(res: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    if (size < limit) chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks).subarray(0, limit).toString("utf8");
}

/** Downloads `url` to the new file `file` (mode 0600). */
export async function download(url: string, file: string, signal: AbortSignal): Promise<Download> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CopyError(`ADD failed: parse "${url}": invalid URL`);
  }
  let res: IncomingMessage;
  let final: URL;
  try {
    ({ res, url: final } = await get(parsed, signal));
  } catch (err) {
    if (signal.aborted) throw err;
    throw new CopyError(`ADD failed: ${connectError(url, parsed, err)}`);
  }
  const statusCode = res.statusCode ?? 0;
  if (statusCode >= 400) {
    const body = (await readCapped(res, maxErrorBody).catch(() => "")).trim();
    const status = `${statusCode} ${res.statusMessage || STATUS_CODES[statusCode] || ""}`.trim();
    throw new CopyError(`ADD failed: failed to GET ${url} with status ${status}: ${body}`);
  }
  try {
    await pipeline(res, createWriteStream(file, { flags: "wx", mode: 0o600 }), { signal });
  } catch (err) {
    if (signal.aborted) throw err;
    throw new CopyError(`ADD failed: reading ${final.href}: ${(err as Error).message}`);
  }
  const modified = Date.parse(headerOf(res, "last-modified"));
  return {
    // The name comes from the URL as written (not where it redirected to), as in Docker.
    name: fileName(parsed, headerOf(res, "content-disposition")),
    mtime: new Date(Number.isNaN(modified) ? 0 : modified),
  };
}

function headerOf(res: IncomingMessage, name: string): string {
  const value = res.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? "";
}

/** Go's net/http wording for a request that got no response. */
function connectError(url: string, parsed: URL, err: unknown): string {
  const cause = (err as { cause?: unknown }).cause ?? err;
  const inner = cause instanceof AggregateError ? (cause.errors[0] ?? cause) : cause;
  const code = (inner as { code?: string }).code ?? (cause as { code?: string }).code;
  const port = parsed.port || (parsed.protocol === "https:" ? "443" : "80");
  const address = `${parsed.hostname}:${port}`;
  if (code === "ECONNREFUSED") return `Get "${url}": dial tcp ${address}: connect: connection refused`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN")
    return `Get "${url}": dial tcp: lookup ${parsed.hostname}: no such host`;
  if (code === "ETIMEDOUT") return `Get "${url}": dial tcp ${address}: i/o timeout`;
  return `Get "${url}": ${(inner as Error).message ?? String(inner)}`;
}

/**
 * Docker's getFilenameForDownload: the URL path's last segment unless the path ends in "/",
 * else Content-Disposition's filename (its base name); "" when neither gives one.
 */
export function fileName(url: URL, disposition: string): string {
  const path = decodePath(url.pathname);
  if (path !== "" && !path.endsWith("/")) {
    const base = safeBase(path);
    if (base) return base;
  }
  const m = disposition
    ? /(?:^|;)\s*filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/i.exec(disposition)
    : null;
  const named = m ? (m[1]?.replace(/\\(.)/g, "$1") ?? m[2] ?? "") : "";
  if (named && !named.endsWith("/")) return safeBase(named);
  return "";
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** A base name usable as one path component inside the image ("" when there is none). */
function safeBase(path: string): string {
  const base = posix.basename(path);
  return base === "." || base === ".." || base.includes("\0") ? "" : base;
}
