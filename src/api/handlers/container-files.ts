// Container file endpoints: export, archive (cp), changes, and commit.
import type { Readable } from "node:stream";
import type { ContainerFiles } from "../../engine/container-files.ts";
import { InvalidParameterError } from "../../engine/errors.ts";
import type { PathStat } from "../../engine/snapshots/rootfs.ts";
import type { ContainerConfig } from "../../wire/containers.ts";
import type { RequestContext } from "../context.ts";
import { type Route, route } from "../router.ts";

const statHeader = "X-Docker-Container-Path-Stat";

function encodeStat(stat: PathStat): string {
  return Buffer.from(JSON.stringify(stat)).toString("base64");
}

function sendTar(ctx: RequestContext, tar: Readable): void {
  const res = ctx.stream("application/x-tar");
  tar.on("error", () => res.destroy());
  tar.pipe(res);
}

function requirePath(ctx: RequestContext): string {
  const path = ctx.str("path");
  if (!path) throw new InvalidParameterError("path is required");
  return path;
}

export function containerFileRoutes(files: ContainerFiles): Route[] {
  const id = (ctx: RequestContext) => ctx.param(0);
  return [
    route("GET", "/containers/{id}/export", async (ctx) => {
      sendTar(ctx, await files.export(id(ctx)));
    }),

    route("HEAD", "/containers/{id}/archive", async (ctx) => {
      const stat = await files.statPath(id(ctx), requirePath(ctx));
      ctx.send(200, undefined, { [statHeader]: encodeStat(stat) });
    }),

    route("GET", "/containers/{id}/archive", async (ctx) => {
      const { stat, tar } = await files.getArchive(id(ctx), requirePath(ctx));
      ctx.res?.setHeader(statHeader, encodeStat(stat));
      sendTar(ctx, tar);
    }),

    route("PUT", "/containers/{id}/archive", async (ctx) => {
      await files.putArchive(id(ctx), requirePath(ctx), ctx.req, {
        copyUIDGID: ctx.bool("copyUIDGID"),
      });
      ctx.send(200);
    }),

    route("GET", "/containers/{id}/changes", async (ctx) => {
      // Docker answers null, not [], for a container without changes.
      const changes = await files.changes(id(ctx));
      ctx.send(200, changes.length > 0 ? changes : null);
    }),

    route("POST", "/commit", async (ctx) => {
      const container = ctx.str("container");
      if (!container) throw new InvalidParameterError("No container name or ID supplied");
      const config = await ctx.json<ContainerConfig | null>();
      const imageId = await files.commit({
        container,
        repo: ctx.str("repo") || undefined,
        tag: ctx.str("tag") || undefined,
        author: ctx.str("author") || undefined,
        comment: ctx.str("comment") || undefined,
        changes: ctx.query.getAll("changes").filter((c) => c !== ""),
        pause: ctx.bool("pause", true),
        config: config ?? undefined,
      });
      ctx.send(201, { Id: imageId });
    }),
  ];
}
