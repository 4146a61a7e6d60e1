// Routing: Docker API paths with an optional /v1.NN prefix, matched against a route table.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { log } from "../util/log.ts";
import { maxApiVersion, minApiVersion, RequestContext } from "./context.ts";
import { errorMessage, errorStatus } from "./errors.ts";

export type Handler = (ctx: RequestContext) => Promise<void> | void;

export interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

export function route(method: string, path: string, handler: Handler): Route {
  // "{id}" matches one segment; "{name*}" matches anything (image names contain "/" and ":").
  const source = path.replace(/\{(\w+)\*\}/g, "(.+)").replace(/\{(\w+)\}/g, "([^/]+)");
  return { method, pattern: new RegExp(`^${source}$`), handler };
}

export function compareVersions(a: string, b: string): number {
  const [a1 = 0, a2 = 0] = a.split(".").map(Number);
  const [b1 = 0, b2 = 0] = b.split(".").map(Number);
  return a1 - b1 || a2 - b2;
}

export class Router {
  private readonly routes: Route[] = [];

  add(...routes: Route[]): void {
    this.routes.push(...routes);
  }

  async dispatch(req: IncomingMessage, res?: ServerResponse, socket?: Duplex, head?: Buffer): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? "/", "http://localhost");
    let path = url.pathname;
    let version = maxApiVersion;
    const prefix = /^\/v(\d+\.\d+)(\/.*)$/.exec(path);
    if (prefix) {
      version = prefix[1] as string;
      path = prefix[2] as string;
    }
    const method = req.method === "HEAD" && path === "/_ping" ? "HEAD" : (req.method ?? "GET");
    const match = this.match(method, path);
    const ctx = new RequestContext({
      req,
      res,
      socket,
      head,
      params: match?.params ?? [],
      query: url.searchParams,
      version: prefix && compareVersions(version, maxApiVersion) <= 0 ? version : maxApiVersion,
    });
    try {
      if (prefix && compareVersions(version, maxApiVersion) > 0) {
        ctx.send(400, {
          message: `client version ${version} is too new. Maximum supported API version is ${maxApiVersion}`,
        });
      } else if (prefix && compareVersions(version, minApiVersion) < 0) {
        ctx.send(
          400,
          `client version ${version} is too old. Minimum supported API version is ${minApiVersion}, please upgrade your client to a newer version`,
        );
      } else if (!match) {
        const known = this.routes.some((r) => r.pattern.test(path));
        ctx.send(known ? 405 : 404, { message: known ? "method not allowed" : "page not found" });
      } else {
        await match.route.handler(ctx);
      }
    } catch (err) {
      const status = errorStatus(err);
      if (status >= 500) log.error("request failed", { method, path, err });
      if (res?.headersSent) {
        // A stream already under way: the client sees it end early.
        res.destroy();
      } else if (status === 304) {
        ctx.send(304);
      } else {
        ctx.send(status, { message: errorMessage(err) });
      }
    } finally {
      log.debug("request", { method, path: url.pathname, ms: Date.now() - started });
    }
  }

  private match(method: string, path: string): { route: Route; params: string[] } | undefined {
    for (const r of this.routes) {
      if (r.method !== method) continue;
      const m = r.pattern.exec(path);
      if (m) return { route: r, params: m.slice(1) };
    }
    return undefined;
  }
}
