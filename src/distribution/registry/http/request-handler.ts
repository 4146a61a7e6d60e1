// The registry's HTTP entry point: routing, authorization, read-only mode, dispatch to the
// endpoint handlers, uniform error responses and the request log.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Authorizer } from "../auth/authorizer.ts";
import type { ResourceAccess } from "../auth/scope.ts";
import type { TokenService } from "../auth/token-service.ts";
import { RegistryError } from "../errors.ts";
import type { RegistryStorage } from "../storage/registry-storage.ts";
import { deleteBlob, getBlob } from "./blobs.ts";
import type { HandlerContext, HandlerOptions } from "./context.ts";
import { listCatalog, listReferrers, listTags } from "./listings.ts";
import { deleteManifest, getManifest, putManifest } from "./manifests.ts";
import { type RequestLogger, startRequestLog } from "./request-log.ts";
import { sendError, sendJson } from "./respond.ts";
import { ALLOWED_METHODS, matchRoute, type Route, splitUrl } from "./router.ts";
import { serveToken } from "./token-endpoint.ts";
import { cancelUpload, getUploadStatus, patchUpload, putUpload, startUpload } from "./uploads.ts";

export interface TokenEndpoint {
  service: TokenService;
  /** The path the realm URL points at. */
  path: string;
  realm: string;
}

export interface RequestHandlerOptions {
  storage: RegistryStorage;
  authorizer: Authorizer;
  readOnly: boolean;
  handlers: HandlerOptions;
  token?: TokenEndpoint;
  log: RequestLogger;
  /** Called for errors that are bugs or I/O failures rather than client mistakes. */
  onUnexpectedError: (err: unknown) => void;
}

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export function createRequestHandler(options: RequestHandlerOptions): RequestListener {
  return (req, res) => {
    const entry = startRequestLog(options.log, req, res);
    res.setHeader("Docker-Distribution-API-Version", "registry/2.0");
    handle(options, req, res, entry).catch((err: unknown) => sendError(res, err, options.onUnexpectedError));
  };
}

async function handle(
  options: RequestHandlerOptions,
  req: IncomingMessage,
  res: ServerResponse,
  entry: { account?: string },
): Promise<void> {
  const method = req.method ?? "GET";
  const { path, query } = splitUrl(req.url ?? "/");
  if (options.token && path === options.token.path) {
    const who = await serveToken(options.token.service, req, res, query, options.token.realm);
    if (who.account !== undefined) entry.account = who.account;
    return;
  }
  const route = matchRoute(path);
  if (!route) throw new RegistryError("UNSUPPORTED", "no such endpoint", { status: 404 });
  const allowed = ALLOWED_METHODS[route.kind];
  if (!allowed.includes(method)) {
    throw new RegistryError("UNSUPPORTED", `method ${method} not allowed`, {
      headers: { Allow: allowed.join(", ") },
    });
  }
  const write = method !== "GET" && method !== "HEAD";
  if (write && options.readOnly) {
    throw new RegistryError("UNSUPPORTED", "the registry is in read-only mode");
  }
  const auth = await options.authorizer.authorize(req, neededAccess(route, method));
  if (auth.identity.account !== undefined) entry.account = auth.identity.account;
  const lease = options.storage.retention.lease();
  res.once("close", () => lease.release());
  const ctx: HandlerContext = {
    req,
    res,
    query,
    storage: options.storage,
    auth,
    options: options.handlers,
    retain: (digest) => lease.retain(digest),
  };
  await dispatch(ctx, route, method);
}

/** What a request needs, in token-scope terms; writes ask for pull and push as clients request. */
export function neededAccess(route: Route, method: string): ResourceAccess[] {
  switch (route.kind) {
    case "base":
      return [];
    case "catalog":
      return [{ type: "registry", name: "catalog", actions: ["*"] }];
    default: {
      const actions = method === "DELETE" && route.kind !== "upload" ? ["delete"] : actionsFor(method);
      return [{ type: "repository", name: route.name, actions }];
    }
  }
}

function actionsFor(method: string): string[] {
  return method === "GET" || method === "HEAD" ? ["pull"] : ["pull", "push"];
}

async function dispatch(ctx: HandlerContext, route: Route, method: string): Promise<void> {
  switch (route.kind) {
    case "base":
      sendJson(ctx.res, 200, {});
      return;
    case "catalog":
      return listCatalog(ctx);
    case "tags":
      return listTags(ctx, route.name);
    case "referrers":
      return listReferrers(ctx, route.name, route.digest);
    case "manifest":
      if (method === "PUT") return putManifest(ctx, route.name, route.reference);
      if (method === "DELETE") return deleteManifest(ctx, route.name, route.reference);
      return getManifest(ctx, route.name, route.reference);
    case "blob":
      if (method === "DELETE") return deleteBlob(ctx, route.name, route.digest);
      return getBlob(ctx, route.name, route.digest);
    case "uploads":
      return startUpload(ctx, route.name);
    case "upload":
      if (method === "GET") return getUploadStatus(ctx, route.name, route.id);
      if (method === "PATCH") return patchUpload(ctx, route.name, route.id);
      if (method === "PUT") return putUpload(ctx, route.name, route.id);
      return cancelUpload(ctx, route.name, route.id);
  }
}
