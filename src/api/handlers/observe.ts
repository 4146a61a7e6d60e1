// top, stats, pause, unpause and update of a container.

import type { ContainerService } from "../../engine/containers/service.ts";
import type { StatsService } from "../../engine/containers/stats.ts";
import { containerTop } from "../../engine/containers/top.ts";
import type { ContainerControl } from "../../engine/containers/update.ts";
import type { CgroupLayout } from "../../platform/host.ts";
import type { HostConfig } from "../../wire/containers.ts";
import type { RequestContext } from "../context.ts";
import { type Route, route } from "../router.ts";
import { checkFields, hostConfigSchema } from "../validate.ts";

export function observeRoutes(deps: {
  containers: ContainerService;
  stats: StatsService;
  control: ContainerControl;
  cgroup: CgroupLayout;
}): Route[] {
  const id = (ctx: RequestContext) => ctx.param(0);
  return [
    route("GET", "/containers/{id}/top", async (ctx) => {
      ctx.send(200, await containerTop(deps.containers, deps.cgroup, id(ctx), ctx.str("ps_args")));
    }),

    route("GET", "/containers/{id}/stats", async (ctx) => {
      const stream = ctx.bool("stream", true);
      const oneShot = ctx.bool("one-shot");
      deps.containers.repo.get(id(ctx)); // 404 before any output
      const docs = deps.stats.stats(id(ctx), { stream, oneShot: oneShot && !stream }, ctx.abort.signal);
      if (!stream) {
        for await (const doc of docs) ctx.send(200, doc);
        return;
      }
      const res = ctx.stream(undefined);
      for await (const doc of docs) res.write(`${JSON.stringify(doc)}\n`);
      res.end();
    }),

    route("POST", "/containers/{id}/pause", async (ctx) => {
      await deps.control.pause(id(ctx));
      ctx.send(204);
    }),

    route("POST", "/containers/{id}/unpause", async (ctx) => {
      await deps.control.unpause(id(ctx));
      ctx.send(204);
    }),

    route("POST", "/containers/{id}/update", async (ctx) => {
      const body = await ctx.json<HostConfig>();
      checkFields(body, hostConfigSchema, "");
      ctx.send(200, await deps.control.update(id(ctx), body));
    }),
  ];
}
