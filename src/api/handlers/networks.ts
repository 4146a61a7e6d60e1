// /networks/* endpoints.
import { InvalidParameterError } from "../../engine/errors.ts";
import type { NetworkService } from "../../engine/network/service.ts";
import { checkFilterKeys, parseFilters } from "../../util/filters.ts";
import type { EndpointSettings, NetworkCreateRequest } from "../../wire/networks.ts";
import { type Route, route } from "../router.ts";

export function networkRoutes(networks: NetworkService): Route[] {
  return [
    route("GET", "/networks", (ctx) => {
      const filters = parseFilters(ctx.str("filters"));
      checkFilterKeys(filters, ["dangling", "driver", "id", "label", "name", "scope", "type"]);
      ctx.send(200, networks.list(filters));
    }),

    route("POST", "/networks/create", async (ctx) => {
      const body = (await ctx.json<NetworkCreateRequest>()) ?? {};
      if (typeof body !== "object" || Array.isArray(body))
        throw new InvalidParameterError("invalid JSON body");
      ctx.send(201, await networks.create(body));
    }),

    route("POST", "/networks/prune", async (ctx) => {
      const filters = parseFilters(ctx.str("filters"));
      checkFilterKeys(filters, ["label", "label!", "until"]);
      ctx.send(200, await networks.prune(filters));
    }),

    route("GET", "/networks/{id}", (ctx) => {
      ctx.send(200, networks.inspect(ctx.param(0)));
    }),

    route("DELETE", "/networks/{id}", async (ctx) => {
      await networks.remove(ctx.param(0));
      ctx.send(204);
    }),

    route("POST", "/networks/{id}/connect", async (ctx) => {
      const body = (await ctx.json<{ Container?: string; EndpointConfig?: EndpointSettings | null }>()) ?? {};
      if (!body.Container) throw new InvalidParameterError("Container is required");
      await networks.connect(ctx.param(0), body.Container, body.EndpointConfig ?? {});
      ctx.send(200);
    }),

    route("POST", "/networks/{id}/disconnect", async (ctx) => {
      const body = (await ctx.json<{ Container?: string; Force?: boolean }>()) ?? {};
      if (!body.Container) throw new InvalidParameterError("Container is required");
      await networks.disconnect(ctx.param(0), body.Container, body.Force === true);
      ctx.send(200);
    }),
  ];
}
