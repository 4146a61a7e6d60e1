// The client side of an attached container: output demultiplexed to stdout/stderr (raw for a
// TTY), stdin copied in and half-closed at its end, the local terminal in raw mode for -it
// with the detach keys (ctrl-p,ctrl-q) watched, and terminal size changes sent on.
import type { Socket } from "node:net";
import { type Readable, Writable } from "node:stream";
import { copyStream, demuxStream } from "../client/mux.ts";
import type { CliStreams } from "./command.ts";

/** term.ToBytes: "ctrl-p,ctrl-q" → [0x10, 0x11]. */
export function parseDetachKeys(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.split(",")) {
    const key = part.trim();
    if (key.length > 1) {
      const m = /^ctrl-(.)$/i.exec(key);
      if (!m) throw new Error(`Unknown character: '${key}'`);
      const c = (m[1] as string).toLowerCase();
      const code = c.charCodeAt(0);
      if (c >= "a" && c <= "z") out.push(code - 96);
      else if (c === "@") out.push(0);
      else if (c === "[") out.push(27);
      else if (c === "\\") out.push(28);
      else if (c === "]") out.push(29);
      else if (c === "^") out.push(30);
      else if (c === "_") out.push(31);
      else throw new Error(`Unknown character: '${key}'`);
    } else if (key.length === 1) {
      out.push(key.charCodeAt(0));
    }
  }
  return out;
}

export const defaultDetachKeys = [0x10, 0x11];

/** Watches typed bytes for the detach sequence; passes everything else through (term.EscapeProxy). */
export class EscapeProxy {
  private readonly keys: number[];
  private matched = 0;

  constructor(keys: number[]) {
    this.keys = keys;
  }

  /** The bytes to forward, and whether the sequence completed. */
  feed(chunk: Buffer): { forward: Buffer; detached: boolean } {
    const forward: number[] = [];
    for (const byte of chunk) {
      if (this.keys.length > 0 && byte === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) return { forward: Buffer.from(forward), detached: true };
        continue;
      }
      // A mismatch: the held-back prefix was ordinary input after all.
      forward.push(...this.keys.slice(0, this.matched));
      this.matched = 0;
      if (this.keys.length > 0 && byte === this.keys[0]) this.matched = 1;
      else forward.push(byte);
    }
    return { forward: Buffer.from(forward), detached: false };
  }
}

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
 * Streams until the container's output ends (or the user detaches). Errors of the output
 * copy reject; a stdin that ends only half-closes the connection.
 */
export function streamAttach(s: AttachSession): { done: Promise<AttachEnd>; close: () => void } {
  const { conn, tty, streams } = s;
  const stdin = streams.stdin;
  const raw = tty && s.stdin && stdin.isTTY === true && typeof stdin.setRawMode === "function";
  if (raw) stdin.setRawMode?.(true);
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
