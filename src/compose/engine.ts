// The engine calls compose makes beyond EngineClient's typed ones (networks, volumes, exec,
// pause, top, archive, build, push), over its generic JSON/stream calls. A daemon that does not
// implement an endpoint answers 404 "page not found": that becomes an error naming the missing
// API, so a command fails clearly instead of pretending.
import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { type EngineClient, encodePathName } from "../client/engine-client.ts";
import { ApiError } from "../client/errors.ts";
import { encodeFilters, type FilterMap } from "../client/filters.ts";
import type { Hijacked, JsonMessage } from "../client/index.ts";

export class UnsupportedApiError extends Error {}

/** True for the daemon's answer to a path it has no route for. */
export function isMissingEndpoint(err: unknown): boolean {
  return (
    err instanceof ApiError &&
    (err.status === 404 || err.status === 405) &&
    /page not found|method not allowed/i.test(err.message)
  );
}

async function guard<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isMissingEndpoint(err)) {
      throw new UnsupportedApiError(
        `the daemon does not implement ${what} (answered: ${(err as ApiError).message})`,
      );
    }
    throw err;
  }
}

export interface NetworkSummary {
  Id: string;
  Name: string;
  Labels?: Record<string, string> | null;
  Containers?: Record<string, unknown>;
}

export interface VolumeSummary {
  Name: string;
  Labels?: Record<string, string> | null;
  Mountpoint?: string;
}

export interface ExecInspect {
  ExitCode: number | null;
  Running: boolean;
}

export interface TopResponse {
  Titles: string[];
  Processes: string[][];
}

export class ComposeEngine {
  readonly client: EngineClient;

  constructor(client: EngineClient) {
    this.client = client;
  }

  // ---- networks ----
  networkInspect(name: string): Promise<NetworkSummary> {
    return guard("the networks API", () => this.client.json("GET", `/networks/${encodePathName(name)}`));
  }

  networkList(filters?: FilterMap): Promise<NetworkSummary[]> {
    return guard("the networks API", () =>
      this.client.json("GET", "/networks", { query: { filters: encodeFilters(filters) } }),
    );
  }

  networkCreate(body: Record<string, unknown>): Promise<{ Id: string }> {
    return guard("network create", () => this.client.json("POST", "/networks/create", { body }));
  }

  networkRemove(name: string): Promise<void> {
    return guard("network remove", () => this.client.send("DELETE", `/networks/${encodePathName(name)}`));
  }

  // ---- volumes ----
  volumeInspect(name: string): Promise<VolumeSummary> {
    return guard("the volumes API", () => this.client.json("GET", `/volumes/${encodePathName(name)}`));
  }

  volumeList(filters?: FilterMap): Promise<{ Volumes: VolumeSummary[] | null }> {
    return guard("the volumes API", () =>
      this.client.json("GET", "/volumes", { query: { filters: encodeFilters(filters) } }),
    );
  }

  volumeCreate(body: Record<string, unknown>): Promise<VolumeSummary> {
    return guard("volume create", () => this.client.json("POST", "/volumes/create", { body }));
  }

  volumeRemove(name: string, force = false): Promise<void> {
    return guard("volume remove", () =>
      this.client.send("DELETE", `/volumes/${encodePathName(name)}`, { query: { force } }),
    );
  }

  // ---- containers beyond EngineClient ----
  pause(id: string): Promise<void> {
    return guard("container pause", () =>
      this.client.send("POST", `/containers/${encodePathName(id)}/pause`),
    );
  }

  unpause(id: string): Promise<void> {
    return guard("container unpause", () =>
      this.client.send("POST", `/containers/${encodePathName(id)}/unpause`),
    );
  }

  top(id: string): Promise<TopResponse> {
    return guard("container top", () => this.client.json("GET", `/containers/${encodePathName(id)}/top`));
  }

  archiveGet(id: string, path: string): Promise<IncomingMessage> {
    return guard("container archive (cp)", () =>
      this.client.call("GET", `/containers/${encodePathName(id)}/archive`, { query: { path } }),
    );
  }

  archivePut(
    id: string,
    path: string,
    tar: Readable | Buffer,
    opts: { copyUIDGID?: boolean } = {},
  ): Promise<void> {
    return guard("container archive (cp)", () =>
      this.client.send("PUT", `/containers/${encodePathName(id)}/archive`, {
        query: { path, ...(opts.copyUIDGID ? { copyUIDGID: "true" } : {}) },
        body: tar,
        headers: { "Content-Type": "application/x-tar" },
      }),
    );
  }

  // ---- exec ----
  execCreate(id: string, body: Record<string, unknown>): Promise<{ Id: string }> {
    return guard("exec", () => this.client.json("POST", `/containers/${encodePathName(id)}/exec`, { body }));
  }

  execStart(execId: string, body: { Detach: boolean; Tty: boolean }): Promise<Hijacked> {
    return guard("exec", () => this.client.hijack("POST", `/exec/${encodePathName(execId)}/start`, { body }));
  }

  execInspect(execId: string): Promise<ExecInspect> {
    return guard("exec", () => this.client.json("GET", `/exec/${encodePathName(execId)}/json`));
  }

  // ---- images ----
  build(
    context: Readable,
    query: Record<string, string | boolean | undefined>,
  ): Promise<AsyncGenerator<JsonMessage>> {
    return guard("image build", () =>
      this.client.stream("POST", "/build", {
        query,
        body: context,
        headers: { "Content-Type": "application/x-tar" },
      }),
    );
  }

  push(name: string, tag: string | undefined): Promise<AsyncGenerator<JsonMessage>> {
    return guard("image push", () =>
      this.client.stream("POST", `/images/${encodePathName(name)}/push`, {
        query: { tag: tag || undefined },
        headers: { "X-Registry-Auth": "e30=" },
      }),
    );
  }
}
