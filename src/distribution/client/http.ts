// One HTTP(S) request to a registry over node:http/https (keep-alive agents per TLS setting),
// following redirects for GET/HEAD (blob storage often redirects; credentials never follow to
// another host). A stalled connection errors after idleTimeoutMs so callers can resume.
import { Agent as HttpAgent, request as httpRequestRaw, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequestRaw } from "node:https";
import type { Readable } from "node:stream";
import { rootCertificates } from "node:tls";
import type { TlsMaterial } from "./hosts.ts";

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  tls?: TlsMaterial;
  insecureTls?: boolean;
  signal?: AbortSignal;
  /** Fail when no byte moves for this long (default 60 s). */
  idleTimeoutMs?: number;
}

const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 32 });
const httpsAgents = new Map<string, HttpsAgent>();

function httpsAgent(tls: TlsMaterial | undefined, insecure: boolean): HttpsAgent {
  const key = JSON.stringify([insecure, tls?.ca ?? [], tls?.cert ?? "", tls?.key ?? ""]);
  let agent = httpsAgents.get(key);
  if (!agent) {
    agent = new HttpsAgent({
      keepAlive: true,
      maxSockets: 32,
      rejectUnauthorized: !insecure,
      // Registry CAs add to the system roots, as Docker's certs.d does.
      ...(tls?.ca ? { ca: [...tls.ca, ...rootCertificates] } : {}),
      ...(tls?.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
    });
    httpsAgents.set(key, agent);
  }
  return agent;
}

/** Sends one request; resolves with the response once its head arrives. */
export function sendOnce(req: HttpRequest): Promise<IncomingMessage> {
  const url = new URL(req.url);
  const isHttps = url.protocol === "https:";
  const send = isHttps ? httpsRequestRaw : httpRequestRaw;
  return new Promise((resolve, reject) => {
    const r = send(
      url,
      {
        method: req.method,
        headers: { "User-Agent": "wharf/0.1.0", ...req.headers },
        agent: isHttps ? httpsAgent(req.tls, req.insecureTls === true) : httpAgent,
        signal: req.signal,
      },
      (res) => {
        res.setTimeout(req.idleTimeoutMs ?? 60_000, () =>
          res.destroy(new Error(`read ${url.host}: connection stalled`)),
        );
        resolve(res);
      },
    );
    r.setTimeout(req.idleTimeoutMs ?? 60_000, () =>
      r.destroy(new Error(`${req.method} ${req.url}: timeout`)),
    );
    r.on("error", reject);
    const body = req.body;
    if (body === undefined) r.end();
    else if (Buffer.isBuffer(body)) r.end(body);
    else {
      body.on("error", (err) => r.destroy(err));
      body.pipe(r);
    }
  });
}

/** sendOnce, following up to 10 redirects for GET and HEAD. */
export async function send(req: HttpRequest): Promise<IncomingMessage> {
  let current = req;
  for (let hops = 0; ; hops++) {
    const res = await sendOnce(current);
    const location = res.headers.location;
    const redirect = [301, 302, 303, 307, 308].includes(res.statusCode ?? 0) && location;
    if (!redirect || !["GET", "HEAD"].includes(current.method) || hops >= 10) return res;
    res.resume();
    const next = new URL(location, current.url);
    const headers = { ...current.headers };
    if (next.host !== new URL(current.url).host) delete headers.Authorization;
    current = { ...current, url: next.toString(), headers };
  }
}

/** Reads a whole (small) body; more than `limit` bytes is an error. */
export async function readBody(res: IncomingMessage, limit = 16 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      res.destroy();
      throw new Error(`response body larger than ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Go's net/http error text for a failed request: `Get "https://h/v2/": dial tcp …: connection refused`. */
export function requestErrorText(method: string, url: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  const verb = method.charAt(0) + method.slice(1).toLowerCase();
  let why = e.message;
  if (e.code === "ECONNREFUSED")
    why = `dial tcp ${e.address ?? ""}:${e.port ?? ""}: connect: connection refused`;
  else if (e.code === "ENOTFOUND") why = `dial tcp: lookup ${new URL(url).hostname}: no such host`;
  return `${verb} "${url}": ${why}`;
}
