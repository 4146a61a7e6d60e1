// The client side of an attached container: output demultiplexed to stdout/stderr (raw for a
// TTY), stdin copied in and half-closed at its end, the local terminal in raw mode for -it
// with the detach keys (ctrl-p,ctrl-q) watched, and terminal size changes sent on.
import type { Socket } from "node:net";
import { type Readable, Writable } from "node:stream";
import type { EngineClient } from "../client/engine-client.ts";
import { copyStream, demuxStream } from "../client/mux.ts";
import { disableOutputProcessing } from "../platform/terminal.ts";
import { defaultDetachKeys, EscapeProxy, parseDetachKeys } from "../util/detach-keys.ts";
import type { CliStreams } from "./command.ts";

export { defaultDetachKeys, EscapeProxy, parseDetachKeys } from "../util/detach-keys.ts";

export interface AttachSession {
  conn: Socket;
  tty: boolean;
  streams: CliStreams;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  detachKeys?: string;
}

export type AttachEnd = "ended" | "detached";

/**
 * Attaches to container `id` (POST /attach, hijacked) and streams it as `streamAttach` does.
 * The session's end is awaited by the caller when it matters; it never goes unhandled.
 */
export async function attachContainer(
  client: EngineClient,
  id: string,
  s: Omit<AttachSession, "conn">,
): Promise<ReturnType<typeof streamAttach>> {
  const hijacked = await client.containerAttach(id, {
    stream: true,
    stdin: s.stdin,
    stdout: s.stdout,
    stderr: s.stderr,
  });
  const session = streamAttach({ ...s, conn: hijacked.socket });
  session.done.catch(() => undefined);
  return session;
}

/**
 * Streams until the container's output ends (or the user detaches). Errors of the output
 * copy reject; a stdin that ends only half-closes the connection.
 */
export function streamAttach(s: AttachSession): { done: Promise<AttachEnd>; close: () => void } {
  const { conn, tty, streams } = s;
  const stdin = streams.stdin;
  const raw = tty && s.stdin && stdin.isTTY === true && typeof stdin.setRawMode === "function";
  if (raw) {
    stdin.setRawMode?.(true);
    disableOutputProcessing(stdin.fd ?? 0);
  }
  let restored = false;
  const restore = () => {
    if (raw && !restored) {
      restored = true;
      stdin.setRawMode?.(false);
    }
  };

  let onDetach: () => void = () => {};
  const detached = new Promise<AttachEnd>((resolve) => {
    onDetach = () => resolve("detached");
  });

  let stopInput = () => {};
  if (s.stdin)
    stopInput = pumpStdin(
      stdin,
      conn,
      tty ? (s.detachKeys ? parseDetachKeys(s.detachKeys) : defaultDetachKeys) : undefined,
      onDetach,
    );

  const sink: Writable = s.stdout ? streams.stdout : discard();
  const errSink: Writable = s.stderr ? (tty ? streams.stdout : streams.stderr) : discard();
  const output: Promise<AttachEnd> = (tty ? copyStream(conn, sink) : demuxStream(conn, sink, errSink)).then(
    () => "ended",
  );

  const close = () => {
    stopInput();
    restore();
    conn.destroy();
  };
  const done = Promise.race([output, detached]).finally(() => {
    stopInput();
    restore();
  });
  return { done, close };
}

function discard(): Writable {
  return new Writable({
    write(_chunk, _encoding, cb) {
      cb();
    },
  });
}

/** Copies stdin to the connection; at its end, half-closes (CloseWrite) as docker does. */
function pumpStdin(
  stdin: Readable,
  conn: Socket,
  detachKeys: number[] | undefined,
  onDetach: () => void,
): () => void {
  const proxy = detachKeys ? new EscapeProxy(detachKeys) : undefined;
  const onData = (chunk: Buffer | string) => {
    let data = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    if (proxy) {
      const r = proxy.feed(data);
      data = r.forward;
      if (r.detached) {
        if (data.length > 0) conn.write(data);
        stop();
        onDetach();
        return;
      }
    }
    if (data.length > 0 && !conn.destroyed && !conn.write(data)) {
      stdin.pause();
      conn.once("drain", () => stdin.resume());
    }
  };
  const onEnd = () => {
    if (!conn.destroyed) conn.end();
  };
  const stop = () => {
    stdin.off("data", onData);
    stdin.off("end", onEnd);
    stdin.pause();
  };
  stdin.on("data", onData);
  stdin.once("end", onEnd);
  stdin.resume();
  return stop;
}
