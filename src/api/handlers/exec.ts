// Exec endpoints: POST /containers/{id}/exec, POST /exec/{id}/start (detached, or hijacked with
// mux/raw output and stdin), GET /exec/{id}/json, POST /exec/{id}/resize.
import {
  connectWhenReady,
  detachKeysOf,
  forwardStdin,
  terminalSize,
} from "../../engine/containers/attach.ts";
import type { ExecService } from "../../engine/containers/exec.ts";
import type { ContainerService } from "../../engine/containers/service.ts";
import type { ExecCreateRequest, ExecStartRequest } from "../../wire/exec.ts";
import { commonHeaders } from "../context.ts";
import { errorMessage } from "../errors.ts";
import { muxFrame, pumpOutput } from "../framing.ts";
import { type Route, route } from "../router.ts";
import { checkFields } from "../validate.ts";

const execConfigSchema = {
  User: "string",
  Privileged: "boolean",
  Tty: "boolean",
  ConsoleSize: "array",
  AttachStdin: "boolean",
  AttachStdout: "boolean",
  AttachStderr: "boolean",
  DetachKeys: "string",
  Env: "strings",
  WorkingDir: "string",
  Cmd: "strings",
} as const;

export function execRoutes(containers: ContainerService, execs: ExecService): Route[] {
  return [
    route("POST", "/containers/{id}/exec", async (ctx) => {
      const body = await ctx.json<ExecCreateRequest>();
      checkFields(body, execConfigSchema, "");
      if (body.DetachKeys) detachKeysOf(body.DetachKeys);
      ctx.send(201, execs.create(ctx.param(0), body));
    }),

    route("GET", "/exec/{id}/json", (ctx) => {
      ctx.send(200, execs.inspect(ctx.param(0)));
    }),

    route("POST", "/exec/{id}/resize", async (ctx) => {
      const { height, width } = terminalSize(ctx.str("h"), ctx.str("w"));
      await execs.resize(ctx.param(0), height, width);
      ctx.send(200, undefined, { "Content-Length": "0" });
    }),

    route("POST", "/exec/{id}/start", async (ctx) => {
      const e = execs.get(ctx.param(0));
      const body = await ctx.json<ExecStartRequest>();
      checkFields(body, { Detach: "boolean", Tty: "boolean", ConsoleSize: "array" }, "");
      const tty = body.Tty ?? e.config.Tty === true;
      const consoleSize = body.ConsoleSize ?? undefined;
      if (body.Detach) {
        await execs.start(e.id, { tty, consoleSize });
        void execs.exited(e).then(() => execs.release(e));
        ctx.send(200, undefined, { "Content-Length": "0" });
        return;
      }
      // As Docker: the connection is taken over first; a start error is written into the stream.
      const stream = ctx.hijack(commonHeaders(ctx.version));
      const frame = (kind: "stdout" | "stderr", data: Buffer) => (tty ? data : muxFrame(kind, data));
      const session = new AbortController();
      stream.input.on("error", () => session.abort());
      stream.output.on("error", () => session.abort());
      try {
        await execs.start(e.id, { tty, consoleSize });
      } catch (err) {
        stream.input.resume();
        stream.output.end(frame("stdout", Buffer.from(`${errorMessage(err)}\r\n`)));
        return;
      }
      // A client that goes away ends an interactive TTY exec's process, as Docker does; one
      // that detached with its keys leaves it running.
      let detached = false;
      ctx.abort.signal.addEventListener("abort", () => {
        session.abort();
        if (e.config.AttachStdin && tty && !detached) execs.kill(e);
      });
      let stdin: { stop: () => void } | undefined;
      if (e.config.AttachStdin) {
        const c = containers.repo.find(e.containerId);
        stdin = forwardStdin({
          input: stream.input,
          head: stream.head,
          connect: connectWhenReady(execs.attachSocket(e)),
          tty,
          closeStdinOnEnd: true,
          detachKeys: detachKeysOf(e.config.DetachKeys),
          onDetach: () => {
            detached = true;
            if (c) containers.publish(c, "exec_detach", { execID: e.id });
            session.abort();
          },
          onInputEnd: () => session.abort(),
        });
      } else {
        stream.input.resume();
      }
      try {
        await pumpOutput(execs.output(e, session.signal), stream.output, tty, session.signal);
      } finally {
        stdin?.stop();
        stream.output.end();
        void execs.exited(e).then(() => execs.release(e));
      }
    }),
  ];
}
