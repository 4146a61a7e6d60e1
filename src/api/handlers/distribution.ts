// Registry endpoints: pull (the fromImage form of POST /images/create), push, and POST /auth.
// Pull resolves before answering, so its early errors are HTTP errors; push answers 200 at
// once and reports failures inside the JSON-lines stream, as Docker does.
import type { ServerResponse } from "node:http";
import { authConfigFromJson, decodeRegistryAuth } from "../../distribution/client/auth.ts";
import type { RegistryClient } from "../../distribution/client/client.ts";
import { type ProgressMessage, errorMessage as progressError } from "../../engine/images/progress.ts";
import type { ImagePuller } from "../../engine/images/pull.ts";
import type { ImagePusher } from "../../engine/images/push.ts";
import { log } from "../../util/log.ts";
import { registryDomain } from "../../util/reference.ts";
import type { RequestContext } from "../context.ts";
import { errorMessage } from "../errors.ts";
import { type Route, route } from "../router.ts";

export interface DistributionServices {
  registry: RegistryClient;
  puller: ImagePuller;
  pusher: ImagePusher;
}

function registryAuth(ctx: RequestContext) {
  const header = ctx.req.headers["x-registry-auth"];
  return decodeRegistryAuth(Array.isArray(header) ? header[0] : header);
}

/** Each progress object as its own chunk, ending in \r\n (Docker's framing for these streams). */
function progressWriter(res: ServerResponse): (m: ProgressMessage) => void {
  return (m) => {
    if (!res.destroyed && !res.writableEnded) res.write(`${JSON.stringify(m)}\r\n`);
  };
}

/** POST /images/create?fromImage=…&tag=…&platform=… */
export async function pullImage(ctx: RequestContext, services: DistributionServices): Promise<void> {
  const job = await services.puller.prepare({
    fromImage: ctx.str("fromImage") ?? "",
    tag: ctx.str("tag") || undefined,
    platform: ctx.str("platform") || undefined,
    auth: registryAuth(ctx),
  });
  const res = ctx.stream("application/json");
  const write = progressWriter(res);
  // As Docker: the pull runs in the request's context, so a client that hangs up cancels it.
  const context = new AbortController();
  const hangUp = () => {
    if (!res.writableFinished) context.abort(new Error("context canceled"));
  };
  res.once("close", hangUp);
  try {
    await job.run(write, context.signal);
  } catch (err) {
    log.warn("pull failed", { image: ctx.str("fromImage"), err: errorMessage(err) });
    write(progressError(errorMessage(err)));
  } finally {
    res.off("close", hangUp);
  }
  res.end();
}

export function distributionRoutes(services: DistributionServices): Route[] {
  return [
    route("POST", "/images/{name*}/push", async (ctx) => {
      const res = ctx.stream("application/json");
      const write = progressWriter(res);
      try {
        await services.pusher.push(ctx.param(0), ctx.str("tag") || undefined, registryAuth(ctx), write);
      } catch (err) {
        write(progressError(errorMessage(err)));
      }
      res.end();
    }),

    route("GET", "/distribution/{name*}/json", async (ctx) => {
      ctx.send(200, await services.puller.inspect(ctx.param(0), registryAuth(ctx)));
    }),

    route("POST", "/auth", async (ctx) => {
      const auth = authConfigFromJson(await ctx.json<Record<string, unknown>>());
      const domain = registryDomain(auth.serverAddress ?? "");
      const session = services.registry.sessionFor(domain, auth);
      const { identityToken } = await session.login();
      ctx.send(200, { IdentityToken: identityToken ?? "", Status: "Login Succeeded" });
    }),
  ];
}
