// POST /containers/{id}/attach (hijacked stdio), GET /containers/{id}/attach/ws (the same over a
// websocket) and POST /containers/{id}/resize.
import {
  type ContainerAttach,
  detachKeysOf,
  forwardStdin,
  terminalSize,
} from "../../engine/containers/attach.ts";
import type { ContainerRecord } from "../../engine/containers/record.ts";
import type { ContainerService } from "../../engine/containers/service.ts";
import type { HijackedStream, RequestContext } from "../context.ts";
import { pumpOutput } from "../framing.ts";
import { compareVersions, type Route, route } from "../router.ts";
import { acceptWebSocket, webSocketKey } from "../websocket.ts";

export function attachRoutes(containers: ContainerService, attach: ContainerAttach): Route[] {
  const id = (ctx: RequestContext) => ctx.param(0);
  return [
    route("POST", "/containers/{id}/attach", async (ctx) => {
      const c = containers.repo.get(id(ctx));
      const detachKeys = detachKeysOf(ctx.str("detachKeys"));
      await serveAttach(containers, attach, ctx, c, detachKeys, () => ctx.hijack(), c.config.Tty !== true);
    }),

    // The websocket flavour: raw output (never multiplexed), binary frames since API 1.28.
    route("GET", "/containers/{id}/attach/ws", async (ctx) => {
      const c = containers.repo.get(id(ctx));
      const detachKeys = detachKeysOf(ctx.str("detachKeys"));
      const socket = ctx.upgradeSocket;
      // As Docker's x/net/websocket: a plain-text 400 for what is not a websocket handshake.
      if (!socket) return ctx.send(400, "not websocket protocol");
      try {
        webSocketKey(ctx.req);
      } catch (err) {
        return ctx.send(400, (err as Error).message);
      }
      await serveAttach(
        containers,
        attach,
        ctx,
        c,
        detachKeys,
        () => {
          const ws = acceptWebSocket(ctx.req, socket, ctx.upgradeHeadBytes, {
            binary: compareVersions(ctx.version, "1.28") >= 0,
          });
          return { input: ws.input, output: ws.output, head: Buffer.alloc(0) };
        },
        false,
      );
    }),

    route("POST", "/containers/{id}/resize", async (ctx) => {
      const { height, width } = terminalSize(ctx.str("h"), ctx.str("w"));
      await attach.resize(id(ctx), height, width);
      ctx.send(200, undefined, { "Content-Length": "0" });
    }),
  ];
}

/**
 * One attach session: the output (logs and/or the live stream) to the client, the client's
 * input to the process. It ends when the client goes, detaches, or (Docker's rule) its
 * stdin ends.
 */
async function serveAttach(
  containers: ContainerService,
  attach: ContainerAttach,
  ctx: RequestContext,
  c: ContainerRecord,
  detachKeys: number[],
  open: () => HijackedStream,
  mux: boolean,
): Promise<void> {
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
  const stream = open();
  // A client that drops the connection ends the session; it is not a daemon error.
  stream.input.on("error", () => session.abort());
  stream.output.on("error", () => session.abort());
  let stdin: { stop: () => void } | undefined;
  if (ctx.bool("stdin") && c.config.OpenStdin && ctx.bool("stream")) {
    stdin = forwardStdin({
      input: stream.input,
      head: stream.head,
      connect: attach.monitor(c, session.signal),
      tty: c.config.Tty === true,
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
    await pumpOutput(output.entries, stream.output, !mux, session.signal);
  } finally {
    stdin?.stop();
    stream.output.end();
  }
}
