// POST /containers/{id}/attach (hijacked stdio) and POST /containers/{id}/resize.
import {
  type ContainerAttach,
  detachKeysOf,
  forwardStdin,
  terminalSize,
} from "../../engine/containers/attach.ts";
import type { ContainerService } from "../../engine/containers/service.ts";
import type { RequestContext } from "../context.ts";
import { muxFrame } from "../framing.ts";
import { type Route, route } from "../router.ts";

export function attachRoutes(containers: ContainerService, attach: ContainerAttach): Route[] {
  const id = (ctx: RequestContext) => ctx.param(0);
  return [
    route("POST", "/containers/{id}/attach", async (ctx) => {
      const c = containers.repo.get(id(ctx));
      const detachKeys = detachKeysOf(ctx.str("detachKeys"));
      // The session ends when the client goes, detaches, or (Docker's rule) its stdin ends.
      const session = new AbortController();
      ctx.abort.signal.addEventListener("abort", () => session.abort());
      const output = await containers.attachOutput(
        c.id,
        {
          logs: ctx.bool("logs"),
          stream: ctx.bool("stream"),
          stdout: ctx.bool("stdout"),
          stderr: ctx.bool("stderr"),
        },
        session.signal,
      );
      const stream = ctx.hijack();
      // A client that drops the connection ends the session; it is not a daemon error.
      stream.input.on("error", () => session.abort());
      stream.output.on("error", () => session.abort());
      const tty = c.config.Tty === true;
      let stdin: { stop: () => void } | undefined;
      if (ctx.bool("stdin") && c.config.OpenStdin && ctx.bool("stream")) {
        stdin = forwardStdin({
          input: stream.input,
          head: stream.head,
          connect: attach.monitor(c, session.signal),
          tty,
          closeStdinOnEnd: c.config.StdinOnce === true,
          detachKeys,
          onDetach: () => {
            containers.publish(c, "detach");
            session.abort();
          },
          onInputEnd: () => session.abort(),
        });
      } else {
        // Reading keeps the connection flowing; stdin was not asked for (or is not open).
        stream.input.resume();
      }
      try {
        for await (const entry of output.entries) {
          if (!stream.output.write(tty ? entry.data : muxFrame(entry.stream, entry.data))) {
            await new Promise((resolve) => {
              stream.output.once("drain", resolve);
              session.signal.addEventListener("abort", resolve, { once: true });
            });
          }
        }
      } finally {
        stdin?.stop();
        stream.output.end();
      }
    }),

    route("POST", "/containers/{id}/resize", async (ctx) => {
      const { height, width } = terminalSize(ctx.str("h"), ctx.str("w"));
      await attach.resize(id(ctx), height, width);
      ctx.send(200, undefined, { "Content-Length": "0" });
    }),
  ];
}
