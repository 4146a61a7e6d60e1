// /_ping, /version, /info and /events.
import { type EngineEvent, type EventBus, eventJson, eventMatches } from "../../engine/events/bus.ts";
import type { SystemService } from "../../engine/system.ts";
import { checkFilterKeys, parseFilters } from "../../util/filters.ts";
import { maxApiVersion, minApiVersion } from "../context.ts";
import { type Route, route } from "../router.ts";
import { unixNanos } from "./containers.ts";

const pingHeaders = {
  "Builder-Version": "1",
  "Cache-Control": "no-cache, no-store, must-revalidate",
  Pragma: "no-cache",
};

export function systemRoutes(system: SystemService, events: EventBus): Route[] {
  return [
    route("GET", "/_ping", (ctx) => ctx.send(200, "OK", pingHeaders)),
    route("HEAD", "/_ping", (ctx) =>
      ctx.send(200, undefined, {
        ...pingHeaders,
        "Content-Type": "text/plain; charset=utf-8",
        "Content-Length": "0",
      }),
    ),
    route("GET", "/version", async (ctx) =>
      ctx.send(200, await system.version(maxApiVersion, minApiVersion)),
    ),
    route("GET", "/info", async (ctx) => ctx.send(200, await system.info())),

    route("GET", "/events", async (ctx) => {
      const filters = parseFilters(ctx.str("filters"));
      checkFilterKeys(filters, [
        "type",
        "event",
        "container",
        "image",
        "label",
        "network",
        "volume",
        "daemon",
        "scope",
        "config",
        "node",
        "plugin",
        "secret",
        "service",
      ]);
      const nowNs = BigInt(Date.now()) * 1_000_000n;
      const since = unixNanos(ctx.str("since"));
      const until = unixNanos(ctx.str("until"));
      const res = ctx.stream("application/json");
      const send = (e: EngineEvent) => {
        if (eventMatches(e, filters)) res.write(`${eventJson(e)}\n`);
      };
      if (since !== undefined) {
        for (const e of events.history(since, until ?? nowNs)) send(e);
      }
      if (until !== undefined && until <= nowNs) {
        res.end();
        return;
      }
      await new Promise<void>((resolve) => {
        const unsubscribe = events.subscribe(
          (e) => {
            if (until !== undefined && e.timeNano > until) return;
            send(e);
          },
          { client: true },
        );
        const finish = () => {
          clearTimeout(timer);
          unsubscribe();
          resolve();
        };
        const timer =
          until !== undefined ? setTimeout(finish, Number((until - nowNs) / 1_000_000n)) : undefined;
        ctx.abort.signal.addEventListener("abort", finish);
      });
      res.end();
    }),
  ];
}
