// /volumes/* endpoints.
import type { VolumeService } from "../../engine/volumes/service.ts";
import { parseFilters } from "../../util/filters.ts";
import type { VolumeCreateRequest } from "../../wire/volumes.ts";
import { type Route, route } from "../router.ts";
import { checkFields } from "../validate.ts";

const createSchema = { Name: "string", Driver: "string", DriverOpts: "object", Labels: "object" } as const;

function olderThan(version: string, than: string): boolean {
  const [a1 = 0, a2 = 0] = version.split(".").map(Number);
  const [b1 = 0, b2 = 0] = than.split(".").map(Number);
  return a1 < b1 || (a1 === b1 && a2 < b2);
}

export function volumeRoutes(volumes: VolumeService): Route[] {
  return [
    route("POST", "/volumes/create", async (ctx) => {
      const body = await ctx.json<VolumeCreateRequest>();
      checkFields(body, createSchema, "");
      ctx.send(201, await volumes.create(body));
    }),

    route("GET", "/volumes", (ctx) => {
      ctx.send(200, volumes.list(parseFilters(ctx.str("filters"))));
    }),

    route("POST", "/volumes/prune", async (ctx) => {
      const filters = parseFilters(ctx.str("filters"));
      // Clients before API 1.42 expect every unused volume to go (Docker 23+ does the same).
      if (olderThan(ctx.version, "1.42") && !filters.has("all")) filters.set("all", ["true"]);
      ctx.send(200, await volumes.prune(filters));
    }),

    route("GET", "/volumes/{name}", (ctx) => {
      ctx.send(200, volumes.inspect(ctx.param(0)));
    }),

    route("DELETE", "/volumes/{name}", async (ctx) => {
      await volumes.remove(ctx.param(0), ctx.bool("force"));
      ctx.send(204);
    }),
  ];
}
