// EngineClient: the typed Docker Engine API client the CLI (and compose) talk through. It pings
// first (HEAD /_ping), negotiates the API version, then sends /v<version>/… requests: JSON
// calls, JSON-lines streams, raw/multiplexed streams and hijacked attach/exec connections.
import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import type { ContainerCreateRequest, ContainerSummary, WaitResponse } from "../wire/containers.ts";
import type {
  Volume,
  VolumeCreateRequest,
  VolumeListResponse,
  VolumePruneResponse,
} from "../wire/volumes.ts";
import { ApiError } from "./errors.ts";
import { encodeFilters, type FilterMap } from "./filters.ts";
import { type DaemonHost, parseHost, resolveHost } from "./host.ts";
import { jsonLines, preciseIntegers } from "./jsonlines.ts";
import { checkResponse, type Hijacked, readBody, type TlsOptions, Transport } from "./transport.ts";
import type {
  ContainerInspect,
  ContainerPruneReport,
  CreateResponse,
  EventMessage,
  ImageDeleteItem,
  ImageInspect,
  ImageSummary,
  InfoResponse,
  JsonMessage,
  PingResult,
  VersionResponse,
} from "./types.ts";
import { negotiateVersion } from "./version.ts";

export type QueryValue = string | number | boolean | readonly string[] | undefined;
export type Query = Record<string, QueryValue>;

export interface CallOptions {
  query?: Query;
  /** A plain object is sent as JSON; a Readable is streamed (chunked). */
  body?: object | string | Buffer | Readable;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface EngineClientOptions {
  /** unix:///path, tcp://host:port; default: WHARF_HOST, DOCKER_HOST, the wharf socket. */
  host?: string;
  /** Use this API version instead of negotiating (DOCKER_API_VERSION). */
  apiVersion?: string;
  tls?: TlsOptions;
  env?: NodeJS.ProcessEnv;
  userAgent?: string;
}

/** The wait long-poll, registered on the daemon once this object exists. */
export interface WaitHandle {
  result: Promise<WaitResponse>;
  /** Drops the connection (`run -d` does once start succeeded). */
  cancel(): void;
}

export type { Hijacked } from "./transport.ts";

/** Query string in Go's url.Values.Encode order (sorted keys); true is "1", false is left out. */
export function encodeQuery(query: Query | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const key of Object.keys(query).sort()) {
    const value = query[key];
    if (value === undefined || value === false) continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, v);
    else params.append(key, value === true ? "1" : String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : "";
}

/** Path segments as the docker CLI sends them: image names keep their "/" and ":". */
export function encodePathName(name: string): string {
  return encodeURIComponent(name).replace(/%2F/gi, "/").replace(/%3A/gi, ":").replace(/%40/gi, "@");
}

const isStreamBody = (b: unknown): b is Readable =>
  typeof b === "object" && b !== null && typeof (b as Readable).pipe === "function";

export class EngineClient {
  readonly host: DaemonHost;
  private readonly transport: Transport;
  private readonly forcedVersion: string | undefined;
  private negotiation: Promise<string> | undefined;
  private pingResult: PingResult | undefined;

  constructor(opts: EngineClientOptions = {}) {
    const env = opts.env ?? process.env;
    const tls = opts.tls;
    this.host = parseHost(resolveHost(opts.host, env), tls !== undefined);
    this.forcedVersion = opts.apiVersion || env.DOCKER_API_VERSION || undefined;
    this.transport = new Transport(this.host, {
      tls,
      userAgent: opts.userAgent ?? "wharf-cli/0.1.0 (linux)",
    });
  }

  /** Frees the keep-alive connections so the process can exit. */
  close(): void {
    this.transport.close();
  }

  // ---- version negotiation ---------------------------------------------------------------

  /** HEAD /_ping (GET when HEAD is not found); a 5xx answer still carries the headers. */
  async ping(): Promise<PingResult> {
    let res = await this.transport.request({ method: "HEAD", path: "/_ping" });
    res.resume();
    if (res.statusCode === 404) {
      res = await this.transport.request({ method: "GET", path: "/_ping" });
      res.resume();
    }
    const header = (name: string) => {
      const v = res.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    if ((res.statusCode ?? 0) >= 400 && header("api-version") === undefined) {
      throw new ApiError(res.statusCode ?? 500, `ping failed with status ${res.statusCode}`);
    }
    this.pingResult = {
      apiVersion: header("api-version"),
      osType: header("ostype"),
      experimental: header("docker-experimental") === "true",
      builderVersion: header("builder-version"),
    };
    return this.pingResult;
  }

  /** The version every request uses; the first call pings the daemon. */
  apiVersion(): Promise<string> {
    this.negotiation ??= (async () => {
      let ping: PingResult | undefined;
      try {
        ping = await this.ping();
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
      }
      return this.forcedVersion ?? negotiateVersion(ping?.apiVersion);
    })();
    return this.negotiation;
  }

  /** What the daemon's ping said (after the first request). */
  get lastPing(): PingResult | undefined {
    return this.pingResult;
  }

  // ---- generic calls ---------------------------------------------------------------------

  private async versioned(path: string, query: Query | undefined): Promise<string> {
    return `/v${await this.apiVersion()}${path}${encodeQuery(query)}`;
  }

  private bodyOf(opts: CallOptions): { body?: string | Buffer | Readable; headers: Record<string, string> } {
    const headers: Record<string, string> = { ...opts.headers };
    const b = opts.body;
    if (b === undefined) return { headers };
    if (typeof b === "string" || Buffer.isBuffer(b) || isStreamBody(b)) return { body: b, headers };
    headers["Content-Type"] ??= "application/json";
    // Go's json.Encoder ends the document with a newline; so does the docker CLI.
    return { body: `${JSON.stringify(b)}\n`, headers };
  }

  /** A request whose status was checked; the caller reads (or discards) the body. */
  async call(method: string, path: string, opts: CallOptions = {}): Promise<IncomingMessage> {
    const { body, headers } = this.bodyOf(opts);
    const res = await this.transport.request({
      method,
      path: await this.versioned(path, opts.query),
      headers,
      body,
      signal: opts.signal,
    });
    return checkResponse(res);
  }

  /** A JSON call; an empty body reads as undefined. */
  async json<T>(method: string, path: string, opts: CallOptions = {}): Promise<T> {
    const text = await readBody(await this.call(method, path, opts));
    return (text.trim() === "" ? undefined : JSON.parse(text)) as T;
  }

  /** A call whose answer is discarded. */
  async send(method: string, path: string, opts: CallOptions = {}): Promise<void> {
    (await this.call(method, path, opts)).resume();
  }

  /** A JSON-lines stream; ending the iteration closes the connection. */
  async stream<T>(method: string, path: string, opts: CallOptions = {}): Promise<AsyncGenerator<T>> {
    return jsonLines<T>(await this.call(method, path, opts));
  }

  /** A hijacked connection (101 UPGRADED); the socket carries raw bytes both ways. */
  async hijack(method: string, path: string, opts: CallOptions = {}): Promise<Hijacked> {
    const { body, headers } = this.bodyOf(opts);
    if (isStreamBody(body)) throw new TypeError("hijack bodies must be buffered");
    return this.transport.hijack({
      method,
      path: await this.versioned(path, opts.query),
      headers: { ...headers, "Content-Length": String(body === undefined ? 0 : Buffer.byteLength(body)) },
      body,
      signal: opts.signal,
    });
  }

  // ---- system ----------------------------------------------------------------------------

  version(): Promise<VersionResponse> {
    return this.json("GET", "/version");
  }

  info(): Promise<InfoResponse> {
    return this.json("GET", "/info");
  }

  /** GET /events; timeNano comes as an exact bigint when it is beyond 2^53. */
  async events(
    opts: { since?: string; until?: string; filters?: FilterMap; signal?: AbortSignal } = {},
  ): Promise<AsyncGenerator<EventMessage>> {
    const res = await this.call("GET", "/events", {
      query: { since: opts.since, until: opts.until, filters: encodeFilters(opts.filters) },
      signal: opts.signal,
    });
    return jsonLines<EventMessage>(res, preciseIntegers);
  }

  // ---- containers ------------------------------------------------------------------------

  containerCreate(
    body: ContainerCreateRequest,
    opts: { name?: string; platform?: string } = {},
  ): Promise<CreateResponse> {
    return this.json("POST", "/containers/create", {
      query: { name: opts.name || undefined, platform: opts.platform || undefined },
      body,
    });
  }

  containerList(
    opts: { all?: boolean; limit?: number; size?: boolean; filters?: FilterMap } = {},
  ): Promise<ContainerSummary[]> {
    return this.json("GET", "/containers/json", {
      query: {
        all: opts.all,
        limit: opts.limit !== undefined && opts.limit > 0 ? opts.limit : undefined,
        size: opts.size,
        filters: encodeFilters(opts.filters),
      },
    });
  }

  containerInspect(id: string, opts: { size?: boolean } = {}): Promise<ContainerInspect> {
    return this.json("GET", `/containers/${encodePathName(id)}/json`, { query: { size: opts.size } });
  }

  containerStart(id: string): Promise<void> {
    return this.send("POST", `/containers/${encodePathName(id)}/start`);
  }

  containerStop(id: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    return this.send("POST", `/containers/${encodePathName(id)}/stop`, {
      query: { t: opts.timeout, signal: opts.signal || undefined },
    });
  }

  containerRestart(id: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    return this.send("POST", `/containers/${encodePathName(id)}/restart`, {
      query: { t: opts.timeout, signal: opts.signal || undefined },
    });
  }

  containerKill(id: string, signal?: string): Promise<void> {
    return this.send("POST", `/containers/${encodePathName(id)}/kill`, {
      query: { signal: signal || undefined },
    });
  }

  containerRemove(
    id: string,
    opts: { force?: boolean; volumes?: boolean; link?: boolean } = {},
  ): Promise<void> {
    return this.send("DELETE", `/containers/${encodePathName(id)}`, {
      query: { force: opts.force, v: opts.volumes, link: opts.link },
    });
  }

  containerRename(id: string, name: string): Promise<void> {
    return this.send("POST", `/containers/${encodePathName(id)}/rename`, { query: { name } });
  }

  containerResize(id: string, height: number, width: number): Promise<void> {
    return this.send("POST", `/containers/${encodePathName(id)}/resize`, { query: { h: height, w: width } });
  }

  containerPrune(filters?: FilterMap): Promise<ContainerPruneReport> {
    return this.json("POST", "/containers/prune", { query: { filters: encodeFilters(filters) } });
  }

  volumeCreate(body: VolumeCreateRequest): Promise<Volume> {
    return this.json("POST", "/volumes/create", { body });
  }

  volumeList(filters?: FilterMap): Promise<VolumeListResponse> {
    return this.json("GET", "/volumes", { query: { filters: encodeFilters(filters) } });
  }

  volumeInspect(name: string): Promise<Volume> {
    return this.json("GET", `/volumes/${encodePathName(name)}`);
  }

  volumeRemove(name: string, force = false): Promise<void> {
    return this.send("DELETE", `/volumes/${encodePathName(name)}`, { query: { force: force || undefined } });
  }

  volumePrune(filters?: FilterMap): Promise<VolumePruneResponse> {
    return this.json("POST", "/volumes/prune", { query: { filters: encodeFilters(filters) } });
  }

  /** POST /wait: resolves once the daemon has registered the waiter (its headers are in). */
  async containerWait(id: string, condition?: "not-running" | "next-exit" | "removed"): Promise<WaitHandle> {
    const abort = new AbortController();
    const res = await this.call("POST", `/containers/${encodePathName(id)}/wait`, {
      query: { condition: condition || undefined },
      signal: abort.signal,
    });
    const result = readBody(res).then((text) => {
      if (text.trim() === "") throw new Error("the wait connection ended without a status");
      const parsed = JSON.parse(text) as WaitResponse;
      if (parsed.Error?.Message) throw new Error(parsed.Error.Message);
      return parsed;
    });
    result.catch(() => undefined); // a dropped wait is the caller's choice, not a crash
    return { result, cancel: () => abort.abort() };
  }

  /** POST /attach, hijacked: a mux stream (raw with a TTY) plus stdin when asked for. */
  containerAttach(
    id: string,
    opts: { stream?: boolean; stdin?: boolean; stdout?: boolean; stderr?: boolean; logs?: boolean },
  ): Promise<Hijacked> {
    return this.hijack("POST", `/containers/${encodePathName(id)}/attach`, {
      query: {
        logs: opts.logs,
        stream: opts.stream,
        stdin: opts.stdin,
        stdout: opts.stdout,
        stderr: opts.stderr,
      },
      headers: { "Content-Type": "text/plain" },
    });
  }

  /** GET /logs: the raw body (mux frames unless the container has a TTY). */
  containerLogs(
    id: string,
    opts: {
      stdout?: boolean;
      stderr?: boolean;
      follow?: boolean;
      timestamps?: boolean;
      tail?: string;
      since?: string;
      until?: string;
      details?: boolean;
      signal?: AbortSignal;
    },
  ): Promise<IncomingMessage> {
    return this.call("GET", `/containers/${encodePathName(id)}/logs`, {
      query: {
        stdout: opts.stdout,
        stderr: opts.stderr,
        follow: opts.follow,
        timestamps: opts.timestamps,
        tail: opts.tail,
        since: opts.since || undefined,
        until: opts.until || undefined,
        details: opts.details,
      },
      signal: opts.signal,
    });
  }

  // ---- images ----------------------------------------------------------------------------

  imageList(opts: { all?: boolean; filters?: FilterMap; digests?: boolean } = {}): Promise<ImageSummary[]> {
    return this.json("GET", "/images/json", {
      query: { all: opts.all, filters: encodeFilters(opts.filters), digests: opts.digests },
    });
  }

  imageInspect(name: string): Promise<ImageInspect> {
    return this.json("GET", `/images/${encodePathName(name)}/json`);
  }

  imageTag(source: string, repo: string, tag?: string): Promise<void> {
    return this.send("POST", `/images/${encodePathName(source)}/tag`, {
      query: { repo, tag: tag || undefined },
    });
  }

  imageRemove(name: string, opts: { force?: boolean; noPrune?: boolean } = {}): Promise<ImageDeleteItem[]> {
    return this.json("DELETE", `/images/${encodePathName(name)}`, {
      query: { force: opts.force, noprune: opts.noPrune },
    });
  }

  /** POST /images/create?fromImage=… (pull): the progress stream. */
  imagePull(
    fromImage: string,
    opts: { tag?: string; platform?: string; auth?: string } = {},
  ): Promise<AsyncGenerator<JsonMessage>> {
    return this.stream("POST", "/images/create", {
      query: { fromImage, tag: opts.tag || undefined, platform: opts.platform || undefined },
      headers: { "X-Registry-Auth": opts.auth ?? "e30=" },
    });
  }

  /** POST /images/{name}/push: the progress stream (errors arrive inside it). */
  imagePush(name: string, opts: { tag?: string; auth?: string } = {}): Promise<AsyncGenerator<JsonMessage>> {
    return this.stream("POST", `/images/${encodePathName(name)}/push`, {
      query: { tag: opts.tag || undefined },
      headers: { "X-Registry-Auth": opts.auth ?? "e30=" },
    });
  }

  /** POST /auth: checks credentials against a registry. */
  login(auth: { username: string; password: string; serveraddress: string }): Promise<{
    IdentityToken?: string;
    Status: string;
  }> {
    return this.json("POST", "/auth", { body: auth });
  }

  /** POST /images/create?fromSrc=-: the body is the rootfs tar (or fromSrc a URL); "repo" keeps "name:tag". */
  imageImport(
    source: Readable | Buffer,
    opts: {
      fromSrc?: string;
      repo?: string;
      message?: string;
      changes?: readonly string[];
      platform?: string;
    } = {},
  ): Promise<AsyncGenerator<JsonMessage>> {
    return this.stream("POST", "/images/create", {
      query: {
        fromSrc: opts.fromSrc ?? "-",
        repo: opts.repo || undefined,
        message: opts.message || undefined,
        changes: opts.changes && opts.changes.length > 0 ? opts.changes : undefined,
        platform: opts.platform || undefined,
      },
      headers: { "Content-Type": "text/plain" },
      body: source,
    });
  }
}
