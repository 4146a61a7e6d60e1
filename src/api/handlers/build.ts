// POST /build: the classic builder's endpoint. The body is the context tar; the response is a
// JSON-lines stream ({"stream": …}, {"aux": {"ID": …}}, {"errorDetail": …}). Errors before the
// first line go out as a plain HTTP error, as Docker does ("Error response from daemon: …").
import type { ServerResponse } from "node:http";
import type { Builder, BuildOptions } from "../../engine/build/builder.ts";
import { BuildError } from "../../engine/build/builder.ts";
import { ContextError, receiveContext } from "../../engine/build/context.ts";
import { DockerfileError } from "../../engine/build/dockerfile.ts";
import { SubstitutionError } from "../../engine/build/shell-lex.ts";
import { InvalidParameterError } from "../../engine/errors.ts";
import { parseReference } from "../../engine/images/reference.ts";
import { parseFilters } from "../../util/filters.ts";
import type { RequestContext } from "../context.ts";
import { type Route, route } from "../router.ts";

function jsonParam<T>(ctx: RequestContext, name: string, fallback: T): T {
  const raw = ctx.str(name);
  if (!raw) return fallback;
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw new InvalidParameterError(`invalid ${name} parameter: ${raw}`);
  }
}

function buildOptions(ctx: RequestContext): BuildOptions {
  const tags = ctx.query.getAll("t").filter((t) => t !== "");
  for (const t of tags) {
    const ref = parseReference(t);
    if (ref.digest) throw new InvalidParameterError(`invalid reference format: ${t}`);
  }
  const buildArgs = new Map<string, string>();
  for (const [k, v] of Object.entries(jsonParam<Record<string, string | null>>(ctx, "buildargs", {}))) {
    // null: the client named the arg without a value and it was not in its environment.
    if (v !== null) buildArgs.set(k, v);
  }
  const network = ctx.str("networkmode");
  // The docker CLI repeats extrahosts once per --add-host; cachefrom and platform are accepted as-is.
  const extraHosts = ctx.query
    .getAll("extrahosts")
    .flatMap((h) => h.split(","))
    .filter((h) => h !== "");
  const shmSize = ctx.int("shmsize");
  return {
    tags,
    buildArgs,
    labels: jsonParam<Record<string, string>>(ctx, "labels", {}),
    target: ctx.str("target") || undefined,
    noCache: ctx.bool("nocache"),
    rm: ctx.bool("rm", true),
    forceRm: ctx.bool("forcerm"),
    quiet: ctx.bool("q"),
    networkMode: network && network !== "default" ? network : undefined,
    extraHosts,
    shmSize: shmSize && shmSize > 0 ? shmSize : undefined,
  };
}

/** Frontend errors are the client's fault (400), as with Docker. */
function asClientError(err: unknown): unknown {
  if (err instanceof DockerfileError || err instanceof SubstitutionError || err instanceof ContextError)
    return new InvalidParameterError(err.message);
  return err;
}

export function buildRoutes(builder: Builder, tmpRoot: string): Route[] {
  return [
    route("POST", "/build/prune", async (ctx) => {
      const filters = parseFilters(ctx.str("filters"));
      const keep = ctx.str("keep-storage") || ctx.str("reserved-space");
      const keepStorage = keep ? Number(keep) : 0;
      if (!Number.isFinite(keepStorage) || keepStorage < 0)
        throw new InvalidParameterError(`invalid keep-storage value: ${keep}`);
      const { removed, bytes } = await builder.pruneCache({ all: ctx.bool("all"), filters, keepStorage });
      ctx.send(200, { CachesDeleted: removed, SpaceReclaimed: bytes });
    }),
    route("POST", "/build", async (ctx) => {
      const remote = ctx.str("remote");
      if (remote) throw new InvalidParameterError(`remote build contexts are not supported: ${remote}`);
      const opts = buildOptions(ctx);
      let build: Awaited<ReturnType<typeof receiveContext>>;
      try {
        build = await receiveContext(ctx.req, { tmpRoot, dockerfile: ctx.str("dockerfile") });
      } catch (err) {
        throw asClientError(err);
      }
      let res: ServerResponse | undefined;
      // Headers go out with the first line, so an error before it can still be a plain HTTP error.
      const write = (msg: unknown) => {
        if (ctx.abort.signal.aborted) return; // the client went away: nobody to tell
        res ??= ctx.stream("application/json");
        res.write(`${JSON.stringify(msg)}\r\n`);
      };
      try {
        const id = await builder.build(
          build,
          opts,
          { stream: (text) => write({ stream: text }), aux: (value) => write({ aux: value }) },
          ctx.abort.signal,
        );
        // -q: the image ID is the only stream line (the CLI prints it).
        if (opts.quiet) write({ stream: `${id}\n` });
        if (!ctx.abort.signal.aborted) {
          res ??= ctx.stream("application/json");
          res.end();
        }
      } catch (err) {
        const clientErr = asClientError(err);
        if (!res && !(err instanceof BuildError && err.code !== undefined)) throw clientErr;
        const message = clientErr instanceof Error ? clientErr.message : String(clientErr);
        const code = err instanceof BuildError ? err.code : undefined;
        write({ errorDetail: { ...(code !== undefined ? { code } : {}), message }, error: message });
        if (res && !res.writableEnded) res.end();
      } finally {
        await build.dispose();
      }
    }),
  ];
}
