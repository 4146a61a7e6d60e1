// What every endpoint handler receives.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AuthorizedRequest } from "../auth/authorizer.ts";
import type { RegistryStorage } from "../storage/registry-storage.ts";

export interface HandlerOptions {
  /** Largest manifest accepted, in bytes. */
  manifestMaxBytes: number;
  /** Mount a blob without `from` when it exists anywhere (only sensible without auth). */
  mountWithoutSource: boolean;
  /** Default page size of /v2/_catalog when the client gives no `n`. */
  catalogPageSize: number;
}

export interface HandlerContext {
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  storage: RegistryStorage;
  auth: AuthorizedRequest;
  /** Protects a digest from a concurrent gc for this request (and the grace period after). */
  retain(digest: string): void;
  options: HandlerOptions;
}
