// /containers/* endpoints.
import type { ContainerService, WaitCondition } from "../../engine/containers/service.ts";
import { InvalidParameterError } from "../../engine/errors.ts";
import { parseFilters } from "../../util/filters.ts";
import type { ContainerCreateRequest } from "../../wire/containers.ts";
import type { RequestContext } from "../context.ts";
import { muxFrame } from "../framing.ts";
import { compareVersions, type Route, route } from "../router.ts";
import { checkFields, containerConfigSchema, hostConfigSchema, strslice } from "../validate.ts";

/** Docker's since/until: unix seconds with an optional fraction, as nanoseconds. */
export function unixNanos(value: string | undefined): bigint | undefined {
  if (value === undefined || value === "") return undefined;
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(value);
  if (m) return BigInt(m[1] as string) * 1_000_000_000n + BigInt((m[2] ?? "").padEnd(9, "0"));
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidParameterError(`invalid time value: ${value}`);
  return BigInt(t) * 1_000_000n;
}

export function containerRoutes(containers: ContainerService): Route[] {
  const id = (ctx: RequestContext) => ctx.param(0);

  return [
    route("POST", "/containers/create", async (ctx) => {
      const body = await ctx.json<ContainerCreateRequest>();
      checkFields(body, containerConfigSchema, "");
      if (body.HostConfig) checkFields(body.HostConfig, hostConfigSchema, "HostConfig.");
      body.Cmd = strslice(body.Cmd);
      body.Entrypoint = strslice(body.Entrypoint);
      ctx.send(
        201,
        await containers.create(ctx.str("name"), body, {
          // Before API 1.44 a read-only bind was read-only at its top only (moby keeps that).
          readOnlyNonRecursiveDefault: compareVersions(ctx.version, "1.44") < 0,
        }),
      );
    }),

    route("GET", "/containers/json", async (ctx) => {
      const limit = ctx.int("limit");
      ctx.send(
        200,
        await containers.list({
          all: ctx.bool("all"),
          limit: limit !== undefined && limit > 0 ? limit : undefined,
          size: ctx.bool("size"),
          filters: parseFilters(ctx.str("filters")),
        }),
      );
    }),

    route("POST", "/containers/prune", async (ctx) => {
      ctx.send(200, await containers.prune(parseFilters(ctx.str("filters"))));
    }),

    route("GET", "/containers/{id}/json", async (ctx) => {
      ctx.send(200, await containers.inspect(id(ctx), ctx.bool("size")));
    }),

    route("POST", "/containers/{id}/start", async (ctx) => {
      await containers.start(id(ctx));
      ctx.send(204);
    }),

    route("POST", "/containers/{id}/stop", async (ctx) => {
      await containers.stop(id(ctx), ctx.int("t"), ctx.str("signal"));
      ctx.send(204);
    }),

    route("POST", "/containers/{id}/restart", async (ctx) => {
      await containers.restart(id(ctx), ctx.int("t"), ctx.str("signal"));
      ctx.send(204);
    }),

    route("POST", "/containers/{id}/kill", async (ctx) => {
      await containers.kill(id(ctx), ctx.str("signal") || undefined);
      ctx.send(204);
    }),

    route("POST", "/containers/{id}/rename", (ctx) => {
      const name = ctx.str("name");
      if (!name) throw new InvalidParameterError("Neither old nor new names may be empty");
      containers.rename(id(ctx), name);
      ctx.send(204);
    }),

    route("POST", "/containers/{id}/wait", async (ctx) => {
      const condition = (ctx.str("condition") || "not-running") as WaitCondition;
      if (!["not-running", "next-exit", "removed"].includes(condition)) {
        throw new InvalidParameterError(`invalid condition: "${condition}"`);
      }
      containers.repo.get(id(ctx)); // 404 before the 200 goes out
      const res = ctx.stream("application/json");
      try {
        const result = await containers.wait(id(ctx), condition, ctx.abort.signal);
        res.end(`${JSON.stringify({ Error: null, StatusCode: result.StatusCode })}\n`);
      } catch {
        res.destroy();
      }
    }),

    route("DELETE", "/containers/{id}", async (ctx) => {
      await containers.remove(id(ctx), { force: ctx.bool("force"), volumes: ctx.bool("v") });
      ctx.send(204);
    }),

    route("GET", "/containers/{id}/logs", async (ctx) => {
      const tail = ctx.str("tail");
      const { tty, entries } = containers.logs(
        id(ctx),
        {
          stdout: ctx.bool("stdout"),
          stderr: ctx.bool("stderr"),
          follow: ctx.bool("follow"),
          tail: tail === undefined || tail === "all" || Number(tail) < 0 ? undefined : Number(tail),
          sinceNs: unixNanos(ctx.str("since")),
          untilNs: unixNanos(ctx.str("until")),
        },
        ctx.abort.signal,
      );
      const res = ctx.stream(undefined);
      const timestamps = ctx.bool("timestamps");
      for await (const entry of entries) {
        const data = timestamps ? Buffer.concat([Buffer.from(`${entry.time} `), entry.data]) : entry.data;
        if (!res.write(tty ? data : muxFrame(entry.stream, data))) {
          await new Promise((resolve) => res.once("drain", resolve));
        }
      }
      res.end();
    }),
  ];
}
