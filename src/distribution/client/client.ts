// RegistryClient: the OCI Distribution API from the client side. A session per (registry,
// credentials) holds the endpoint (https, or http for an insecure registry that does not speak
// TLS) and the Authorizer; a RepositoryClient does manifests, blobs and uploads with the scopes
// it needs, retrying once with fresh credentials after a 401.
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { Readable, Transform } from "node:stream";
import { Authorizer, type Credentials, challengeErrors, repositoryScope } from "./auth.ts";
import {
  DigestVerificationError,
  DistributionError,
  NetworkError,
  parseErrorBody,
  RegistryResponseError,
} from "./errors.ts";
import { type Endpoint, RegistryHosts } from "./hosts.ts";
import { type HttpRequest, readBody, requestErrorText, send } from "./http.ts";
import {
  type Descriptor,
  formatPlatform,
  type ImageManifest,
  type ManifestIndex,
  manifestAccept,
  manifestKind,
  type Platform,
  selectManifest,
} from "./manifest.ts";

export type Action = "pull" | "push";

export interface FetchedManifest {
  mediaType: string;
  digest: string;
  bytes: Buffer;
  json: Record<string, unknown>;
}

export interface ResolvedImage {
  /** The image manifest (after platform selection) and its digest. */
  manifest: ImageManifest;
  manifestDigest: string;
  manifestBytes: Buffer;
  mediaType: string;
  /** The digest the reference resolved to (the index's, for multi-platform images). */
  resolvedDigest: string;
  config: Buffer;
}

export interface RetryOptions {
  /** Attempts after the first for a dropped blob download (Docker: 5). */
  retries: number;
  /** First back-off delay; doubles per attempt. */
  backoffMs: number;
}

const defaultRetry: RetryOptions = { retries: 5, backoffMs: 500 };
const maxManifestBytes = 4 * 1024 * 1024;

function sha256(data: Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

function isNetworkError(err: unknown): boolean {
  return !(err instanceof DistributionError) && err instanceof Error;
}

/** "GET" → "Get", as Go's url.Error prints the method. */
function goMethod(method: string): string {
  return method.charAt(0) + method.slice(1).toLowerCase();
}

/** Dropped connections, stalls, truncation and 5xx/429 answers are retried; refusals are not. */
function retryable(err: unknown): boolean {
  if (err instanceof RegistryResponseError) return err.httpStatus >= 500 || err.httpStatus === 429;
  if (err instanceof NetworkError) return true;
  return !(err instanceof DistributionError);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RegistryClient {
  readonly hosts: RegistryHosts;
  private readonly sessions = new Map<string, RegistrySession>();
  readonly retry: RetryOptions;

  constructor(hosts = new RegistryHosts(), retry: Partial<RetryOptions> = {}) {
    this.hosts = hosts;
    this.retry = { ...defaultRetry, ...retry };
  }

  /** The session for one endpoint and set of credentials (token cache shared across calls). */
  session(endpoint: Endpoint, creds: Credentials): RegistrySession {
    const key = JSON.stringify([
      endpoint.base,
      creds.username ?? "",
      creds.password ?? "",
      creds.identityToken ?? "",
      creds.registryToken ?? "",
    ]);
    let s = this.sessions.get(key);
    if (!s) {
      s = new RegistrySession(endpoint, creds, this.retry);
      this.sessions.set(key, s);
    }
    return s;
  }

  /** The registry's own endpoint for `domain` (pushes and logins never go to mirrors). */
  sessionFor(domain: string, creds: Credentials): RegistrySession {
    return this.session(this.hosts.endpoint(domain), creds);
  }
}

export class RegistrySession {
  endpoint: Endpoint;
  readonly authorizer: Authorizer;
  readonly retry: RetryOptions;
  private pinged: Promise<void> | undefined;

  constructor(endpoint: Endpoint, creds: Credentials, retry: RetryOptions) {
    this.endpoint = { ...endpoint };
    this.retry = retry;
    this.authorizer = new Authorizer(creds, () => ({
      tls: this.endpoint.tls,
      insecureTls: this.endpoint.insecureTls,
    }));
  }

  get base(): string {
    return this.endpoint.base;
  }

  /**
   * GET /v2/ once: learns the auth challenge and, for an insecure registry, whether it speaks
   * TLS at all (Docker tries https without verification first, then http).
   */
  ping(): Promise<void> {
    this.pinged ??= (async () => {
      try {
        await this.pingOnce();
      } catch (err) {
        if (!this.endpoint.fallbackHttp || !isNetworkError(err)) throw this.unreachable(err);
        this.endpoint = {
          ...this.endpoint,
          base: this.base.replace(/^https:/, "http:"),
          fallbackHttp: false,
        };
        try {
          await this.pingOnce();
        } catch (err2) {
          throw this.unreachable(err2);
        }
      }
    })();
    this.pinged.catch(() => {
      this.pinged = undefined;
    });
    return this.pinged;
  }

  private async pingOnce(): Promise<void> {
    const res = await send({
      method: "GET",
      url: `${this.base}/v2/`,
      ...this.tlsOpts(),
      idleTimeoutMs: 15_000,
    });
    res.resume();
    if (res.statusCode === 401) this.authorizer.learn(res.headers["www-authenticate"], []);
  }

  /** The registry did not answer its ping: reported at once, not retried. */
  private unreachable(err: unknown): Error {
    if (err instanceof DistributionError) return err;
    return new DistributionError(requestErrorText("GET", `${this.base}/v2/`, err), 500);
  }

  private wrap(method: string, url: string, err: unknown): Error {
    if (err instanceof DistributionError) return err;
    return new NetworkError(requestErrorText(method, url, err), 500);
  }

  tlsOpts(): Pick<HttpRequest, "tls" | "insecureTls"> {
    return { tls: this.endpoint.tls, insecureTls: this.endpoint.insecureTls };
  }

  /**
   * Login check (POST /auth): with a Basic challenge, GET /v2/ with the credentials must give
   * 200; with a Bearer challenge, the token server must issue a token for them.
   * Returns a refresh token when the token server gave one.
   */
  async login(): Promise<{ identityToken?: string }> {
    await this.ping();
    const url = `${this.base}/v2/`;
    if (this.authorizer.scheme === "bearer") {
      const identityToken = await this.authorizer.verifyLogin();
      return identityToken ? { identityToken } : {};
    }
    const auth = await this.authorizer.header([]);
    const res = await send({
      method: "GET",
      url,
      headers: auth ? { Authorization: auth } : {},
      ...this.tlsOpts(),
    });
    res.resume();
    if (res.statusCode === 200) return {};
    throw new DistributionError(
      `login attempt to ${url} failed with status: ${res.statusCode} ${res.statusMessage ?? ""}`.trim(),
      res.statusCode === 401 ? 401 : 500,
    );
  }

  repository(
    path: string,
    actions: readonly Action[],
    extraScopes: readonly string[] = [],
  ): RepositoryClient {
    return new RepositoryClient(this, path, [repositoryScope(path, actions), ...extraScopes]);
  }

  /**
   * One request with credentials for `scopes`. A 401 teaches the challenge and the request is
   * sent once more, unless its body was a stream (uploads authenticate on their POST first).
   */
  async request(
    scopes: readonly string[],
    req: Omit<HttpRequest, "tls" | "insecureTls" | "url"> & { url: string },
  ): Promise<IncomingMessage> {
    await this.ping();
    const url = req.url.startsWith("http") ? req.url : `${this.base}${req.url}`;
    if (this.authorizer.scheme === "basic" && !this.authorizer.hasCredentials) {
      // docker/distribution's basic handler refuses before sending anything.
      throw new DistributionError(`${goMethod(req.method)} "${url}": no basic auth credentials`, 500);
    }
    const attempt = async () => {
      const auth = await this.authorizer.header(scopes);
      try {
        return await send({
          ...req,
          url,
          headers: { ...req.headers, ...(auth ? { Authorization: auth } : {}) },
          ...this.tlsOpts(),
        });
      } catch (err) {
        throw this.wrap(req.method, url, err);
      }
    };
    let res = await attempt();
    const replayable = req.body === undefined || Buffer.isBuffer(req.body);
    if (
      res.statusCode === 401 &&
      replayable &&
      this.authorizer.learn(res.headers["www-authenticate"], scopes)
    ) {
      res.resume();
      res = await attempt();
    }
    return res;
  }

  /** Throws the registry's error for a non-2xx answer, reading its JSON error body. */
  async check(res: IncomingMessage, method: string, url: string): Promise<IncomingMessage> {
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return res;
    const body =
      method === "HEAD" ? "" : (await readBody(res, 64 * 1024).catch(() => Buffer.alloc(0))).toString("utf8");
    res.resume();
    const errors = [
      ...(status >= 400 && status < 500 ? challengeErrors(res.headers["www-authenticate"]) : []),
      ...parseErrorBody(body),
    ];
    if (errors.length === 0 && status === 401) {
      // Docker's basic-auth handler text when it had nothing to send.
      const text = this.authorizer.hasCredentials
        ? "unauthorized: authentication required"
        : "no basic auth credentials";
      throw new RegistryResponseError(
        status,
        [],
        `${method.charAt(0)}${method.slice(1).toLowerCase()} "${url}": ${text}`,
      );
    }
    throw new RegistryResponseError(
      status,
      errors,
      `unexpected status from ${method} request to ${url}: ${status} ${res.statusMessage ?? ""}`.trim(),
    );
  }
}

export class RepositoryClient {
  readonly session: RegistrySession;
  readonly path: string;
  readonly scopes: readonly string[];

  constructor(session: RegistrySession, path: string, scopes: readonly string[]) {
    this.session = session;
    this.path = path;
    this.scopes = scopes;
  }

  private async call(
    method: string,
    suffix: string,
    opts: {
      headers?: Record<string, string>;
      body?: Buffer | Readable;
      absolute?: string;
      idleTimeoutMs?: number;
      signal?: AbortSignal;
    } = {},
  ): Promise<IncomingMessage> {
    const url = opts.absolute ?? `/v2/${this.path}${suffix}`;
    const res = await this.session.request(this.scopes, {
      method,
      url,
      headers: opts.headers,
      body: opts.body,
      idleTimeoutMs: opts.idleTimeoutMs,
      signal: opts.signal,
    });
    return this.session.check(res, method, url.startsWith("http") ? url : `${this.session.base}${url}`);
  }

  /** GET a manifest by tag or digest; a digest reference is verified against the bytes. */
  async getManifest(reference: string): Promise<FetchedManifest> {
    const retry = this.session.retry;
    let bytes: Buffer;
    let res: IncomingMessage;
    for (let failures = 0; ; failures++) {
      try {
        res = await this.call("GET", `/manifests/${reference}`, { headers: { Accept: manifestAccept } });
        bytes = await readBody(res, maxManifestBytes);
        break;
      } catch (err) {
        // Transient failures (dropped connection, 5xx, 429) are tried again, a few times.
        if (!retryable(err) || failures >= Math.min(retry.retries, 3)) throw err;
        await sleep(retry.backoffMs * 2 ** failures);
      }
    }
    const digest = sha256(bytes);
    if (reference.startsWith("sha256:") && digest !== reference) {
      throw new DigestVerificationError(`manifest verification failed for digest ${reference}`);
    }
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
    } catch {
      throw new DistributionError(`invalid manifest for ${this.path}:${reference}: not JSON`, 500);
    }
    const mediaType =
      (res.headers["content-type"] ?? "").split(";")[0]?.trim() ||
      (json.mediaType as string | undefined) ||
      "";
    return { mediaType, digest, bytes, json };
  }

  /** HEAD a manifest: its digest, or undefined when the registry does not have it. */
  async headManifest(reference: string): Promise<string | undefined> {
    const res = await this.session.request(this.scopes, {
      method: "HEAD",
      url: `/v2/${this.path}/manifests/${reference}`,
      headers: { Accept: manifestAccept },
    });
    res.resume();
    if (res.statusCode === 404) return undefined;
    await this.session.check(res, "HEAD", `${this.session.base}/v2/${this.path}/manifests/${reference}`);
    const digest = res.headers["docker-content-digest"];
    return typeof digest === "string" ? digest : undefined;
  }

  /** Resolves a tag or digest to one image manifest for `platform`, and fetches its config. */
  async resolve(reference: string, platform: Platform): Promise<ResolvedImage> {
    let fetched = await this.getManifest(reference);
    const resolvedDigest = fetched.digest;
    if (manifestKind(fetched.mediaType, fetched.json) === "index") {
      const entry = selectManifest(fetched.json as unknown as ManifestIndex, platform);
      if (!entry) {
        throw new DistributionError(
          `no matching manifest for ${formatPlatform(platform)} in the manifest list entries`,
          404,
        );
      }
      fetched = await this.getManifest(entry.digest);
      if (manifestKind(fetched.mediaType, fetched.json) !== "image") {
        throw new DistributionError(`manifest ${entry.digest} in the index is not an image manifest`, 500);
      }
    }
    const manifest = fetched.json as unknown as ImageManifest;
    if (!manifest.config?.digest || !Array.isArray(manifest.layers)) {
      throw new DistributionError(`invalid image manifest ${fetched.digest}: no config or layers`, 500);
    }
    const config = await this.fetchSmallBlob(manifest.config);
    return {
      manifest,
      manifestDigest: fetched.digest,
      manifestBytes: fetched.bytes,
      mediaType: fetched.mediaType || manifest.mediaType || "",
      resolvedDigest,
      config,
    };
  }

  /** A config or other small blob, read whole and verified. */
  async fetchSmallBlob(desc: Descriptor): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.blobReader(desc)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /**
   * The blob's bytes as a stream that resumes with Range after a dropped connection, refuses
   * more bytes than the descriptor's size, and errors (before ending) on a digest mismatch —
   * so whoever consumes it never commits a wrong blob. `signal` stops it for good (no retry).
   */
  blobReader(desc: Descriptor, onBytes?: (received: number) => void, signal?: AbortSignal): Readable {
    const repo = this;
    const retry = this.session.retry;
    async function* chunks(): AsyncGenerator<Buffer> {
      const hash = createHash("sha256");
      let offset = 0;
      let failures = 0;
      for (;;) {
        try {
          const headers: Record<string, string> = offset > 0 ? { Range: `bytes=${offset}-` } : {};
          const res = await repo.call("GET", `/blobs/${desc.digest}`, {
            headers,
            idleTimeoutMs: 30_000,
            signal,
          });
          let skip = offset > 0 && res.statusCode !== 206 ? offset : 0;
          for await (const raw of res) {
            let chunk = raw as Buffer;
            if (skip > 0) {
              const drop = Math.min(skip, chunk.length);
              chunk = chunk.subarray(drop);
              skip -= drop;
              if (chunk.length === 0) continue;
            }
            if (offset + chunk.length > desc.size) {
              throw new DigestVerificationError(
                `blob ${desc.digest}: registry sent more than the expected ${desc.size} bytes`,
              );
            }
            hash.update(chunk);
            offset += chunk.length;
            failures = 0;
            onBytes?.(offset);
            yield chunk;
          }
          if (offset < desc.size) throw new Error(`unexpected EOF after ${offset} of ${desc.size} bytes`);
          break;
        } catch (err) {
          if (signal?.aborted) throw signal.reason;
          if (!retryable(err)) throw err;
          failures++;
          if (failures > retry.retries) throw err instanceof Error ? err : new Error(String(err));
          await sleep(retry.backoffMs * 2 ** (failures - 1));
        }
      }
      const digest = `sha256:${hash.digest("hex")}`;
      if (digest !== desc.digest) {
        throw new DigestVerificationError(`filesystem layer verification failed for digest ${desc.digest}`);
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  /** HEAD a blob: its size when the repository has it. */
  async blobSize(digest: string): Promise<number | undefined> {
    const url = `/v2/${this.path}/blobs/${digest}`;
    const res = await this.session.request(this.scopes, { method: "HEAD", url });
    res.resume();
    if (res.statusCode === 404) return undefined;
    await this.session.check(res, "HEAD", `${this.session.base}${url}`);
    return Number(res.headers["content-length"] ?? 0);
  }

  /**
   * Starts an upload, asking to mount `digest` from `from` when given. Returns "mounted", or
   * the upload location to send the bytes to.
   */
  async startUpload(mount?: {
    digest: string;
    from: string;
  }): Promise<{ mounted: true } | { mounted: false; location: string }> {
    const query = mount
      ? `?mount=${encodeURIComponent(mount.digest)}&from=${encodeURIComponent(mount.from)}`
      : "";
    const res = await this.call("POST", `/blobs/uploads/${query}`, {
      body: Buffer.alloc(0),
      headers: { "Content-Length": "0" },
    });
    res.resume();
    if (res.statusCode === 201) return { mounted: true };
    return { mounted: false, location: this.location(res) };
  }

  private location(res: IncomingMessage): string {
    const loc = res.headers.location;
    if (!loc) throw new DistributionError("registry answered an upload without a Location", 500);
    return new URL(loc, `${this.session.base}/`).toString();
  }

  /**
   * Uploads a blob: one PUT for small blobs, PATCH chunks of `chunkSize` then PUT for large
   * ones. `open(start, end)` gives the bytes [start, end) as a fresh stream.
   */
  async uploadBlob(
    desc: Descriptor,
    open: (start: number, end: number) => Readable,
    opts: { chunkSize: number; location?: string; onBytes?: (sent: number) => void },
  ): Promise<void> {
    let location = opts.location ?? (await this.startUpload().then((u) => (u.mounted ? "" : u.location)));
    if (!location) return;
    const withDigest = (loc: string) => {
      const u = new URL(loc);
      u.searchParams.set("digest", desc.digest);
      return u.toString();
    };
    // Counted through a transform: a "data" listener would start the flow before the request
    // has taken the body, and bytes would be lost.
    const counted = (stream: Readable, base: number) => {
      let sent = base;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          sent += chunk.length;
          opts.onBytes?.(sent);
          done(null, chunk);
        },
      });
      stream.on("error", (err) => counter.destroy(err));
      return stream.pipe(counter);
    };
    if (desc.size <= opts.chunkSize) {
      const res = await this.call("PUT", "", {
        absolute: withDigest(location),
        headers: { "Content-Type": "application/octet-stream", "Content-Length": String(desc.size) },
        body: counted(open(0, desc.size), 0),
      });
      res.resume();
      return;
    }
    for (let start = 0; start < desc.size; start += opts.chunkSize) {
      const end = Math.min(desc.size, start + opts.chunkSize);
      const res = await this.call("PATCH", "", {
        absolute: location,
        headers: {
          "Content-Type": "application/octet-stream",
          "Content-Length": String(end - start),
          "Content-Range": `${start}-${end - 1}`,
        },
        body: counted(open(start, end), start),
      });
      res.resume();
      location = this.location(res);
    }
    const done = await this.call("PUT", "", {
      absolute: withDigest(location),
      headers: { "Content-Length": "0" },
      body: Buffer.alloc(0),
    });
    done.resume();
  }

  /**
   * Uploads bytes whose digest is not known beforehand (a layer compressed on the fly, as
   * Docker pushes): one streamed PATCH while hashing, then PUT ?digest=. Returns the blob.
   */
  async uploadStream(
    source: Readable,
    opts: { location?: string; onBytes?: (sent: number) => void } = {},
  ): Promise<{ digest: string; size: number }> {
    let location = opts.location;
    if (!location) {
      const started = await this.startUpload();
      if (started.mounted) throw new DistributionError("registry mounted a blob nobody asked for", 500);
      location = started.location;
    }
    const hash = createHash("sha256");
    let size = 0;
    // A transform, not a "data" listener: nothing may flow before the request takes the body.
    const hashed = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        opts.onBytes?.(size);
        done(null, chunk);
      },
    });
    source.on("error", (err) => hashed.destroy(err));
    const res = await this.call("PATCH", "", {
      absolute: location,
      headers: { "Content-Type": "application/octet-stream" },
      body: source.pipe(hashed),
    });
    res.resume();
    const digest = `sha256:${hash.digest("hex")}`;
    const done = new URL(this.location(res));
    done.searchParams.set("digest", digest);
    const put = await this.call("PUT", "", {
      absolute: done.toString(),
      headers: { "Content-Length": "0" },
      body: Buffer.alloc(0),
    });
    put.resume();
    return { digest, size };
  }

  /** PUT a manifest under a tag or digest; returns the digest the registry reports. */
  async putManifest(reference: string, mediaType: string, bytes: Buffer): Promise<string> {
    const res = await this.call("PUT", `/manifests/${reference}`, {
      headers: { "Content-Type": mediaType, "Content-Length": String(bytes.length) },
      body: bytes,
    });
    res.resume();
    const digest = res.headers["docker-content-digest"];
    return typeof digest === "string" ? digest : sha256(bytes);
  }

  /** All tags of the repository (following Link pagination). */
  async tags(): Promise<string[]> {
    const out: string[] = [];
    let next: string | undefined = `/v2/${this.path}/tags/list`;
    while (next) {
      const res = await this.call("GET", "", {
        absolute: next.startsWith("http") ? next : `${this.session.base}${next}`,
      });
      const body = JSON.parse((await readBody(res, 16 * 1024 * 1024)).toString("utf8")) as {
        tags?: string[] | null;
      };
      out.push(...(body.tags ?? []));
      const link = res.headers.link;
      const m = typeof link === "string" ? /<([^>]+)>/.exec(link) : null;
      next = m?.[1];
    }
    return out;
  }
}
