// The stdin half of attach (containers and execs): a client's bytes go to the process's conmon,
// with Docker's rules for the end of input and for the detach keys of a TTY session.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { connectStdin, resizeTerminal, type StdinConnection } from "../../platform/conmon-io.ts";
import { defaultDetachKeys, EscapeProxy, parseDetachKeys } from "../../util/detach-keys.ts";
import { ConflictError, EngineError, InvalidParameterError } from "../errors.ts";
import type { ContainerRecord } from "./record.ts";
import type { ContainerService } from "./service.ts";

/** The detach keys of a request ("" = docker's default ctrl-p,ctrl-q); a bad spec is a 400. */
export function detachKeysOf(spec: string | undefined): number[] {
  if (!spec) return defaultDetachKeys;
  try {
    return parseDetachKeys(spec);
  } catch (err) {
    throw new InvalidParameterError(`Invalid detach keys (${spec}) provided: ${(err as Error).message}`);
  }
}

/** Waits (briefly) for conmon's attach socket, then connects to it. */
export async function connectWhenReady(socketPath: string): Promise<StdinConnection | undefined> {
  for (let i = 0; i < 200 && !existsSync(socketPath); i++) await new Promise((r) => setTimeout(r, 5));
  return existsSync(socketPath) ? connectStdin(socketPath) : undefined;
}

export interface StdinForwardOptions {
  /** The client's side of the hijacked connection, and bytes it sent with the request head. */
  input: Readable;
  head: Buffer;
  /** Resolves the connection to the process's monitor (undefined: it never came up). */
  connect: Promise<StdinConnection | undefined>;
  tty: boolean;
  /** StdinOnce: the end of the client's input closes the process's stdin. */
  closeStdinOnEnd: boolean;
  detachKeys: number[];
  /** The client typed the detach keys (TTY only). */
  onDetach: () => void;
  /**
   * The client's input ended and the session ends with it (Docker closes the output streams
   * when stdin ends, except for a non-TTY StdinOnce session, which waits for the exit).
   */
  onInputEnd: () => void;
}

/** Copies the client's input into the process until it ends, detaches, or `stop` is called. */
export function forwardStdin(o: StdinForwardOptions): { stop: () => void } {
  let conn: StdinConnection | undefined;
  let stopped = false;
  const proxy = o.tty ? new EscapeProxy(o.detachKeys) : undefined;
  const pending: Buffer[] = o.head.length > 0 ? [o.head] : [];
  let inputEnded = false;

  const write = (chunk: Buffer): boolean => {
    let data = chunk;
    if (proxy) {
      const r = proxy.feed(chunk);
      data = r.forward;
      if (r.detached) {
        if (data.length > 0) conn?.input.write(data);
        // What was typed before the keys still reaches the process: flush, then disconnect.
        stop(true);
        o.onDetach();
        return false;
      }
    }
    if (data.length === 0 || !conn) return true;
    if (!conn.input.write(data)) {
      o.input.pause();
      conn.input.once("drain", () => {
        if (!stopped) o.input.resume();
      });
    }
    return true;
  };

  const finish = () => {
    if (stopped) return;
    if (o.closeStdinOnEnd && !o.tty) {
      conn?.end();
      stopped = true;
      return;
    }
    stop(true);
    o.onInputEnd();
  };

  const onData = (chunk: Buffer) => {
    if (!conn) pending.push(chunk);
    else write(chunk);
  };
  const onEnd = () => {
    inputEnded = true;
    if (conn) finish();
  };
  o.input.on("data", onData);
  o.input.once("end", onEnd);
  // Hold the client's bytes until the monitor is reachable (attach comes before start).
  o.input.pause();

  /** `flush`: hand the monitor every byte already written before disconnecting. */
  const stop = (flush = false) => {
    if (stopped) return;
    stopped = true;
    o.input.off("data", onData);
    o.input.off("end", onEnd);
    if (flush && conn) {
      const c = conn;
      c.end();
      // A monitor that stops reading must not keep the helper alive.
      setTimeout(() => c.close(), 2000).unref();
    } else {
      conn?.close();
    }
  };

  void o.connect.then((c) => {
    if (!c) return;
    if (stopped) {
      c.close();
      return;
    }
    conn = c;
    for (const chunk of pending.splice(0)) if (!write(chunk)) return;
    if (inputEnded) finish();
    else o.input.resume();
  });
  return { stop: () => stop() };
}

/** Container-side pieces of attach: reaching a run's monitor for stdin, and terminal resize. */
export class ContainerAttach {
  private readonly containers: ContainerService;
  private readonly paths: { containers: string; sockets: string };

  constructor(containers: ContainerService, paths: { containers: string; sockets: string }) {
    this.containers = containers;
    this.paths = paths;
  }

  /** The monitor of the container's current run, or of its next one (attach comes before start). */
  monitor(c: ContainerRecord, signal: AbortSignal): Promise<StdinConnection | undefined> {
    const socket = join(this.paths.sockets, c.id, "attach");
    if (c.state.Running) return connectWhenReady(socket);
    return new Promise((resolve) => {
      const done = (conn: Promise<StdinConnection | undefined> | undefined) => {
        offCreated();
        offRemoved();
        signal.removeEventListener("abort", onAbort);
        resolve(conn);
      };
      const onAbort = () => done(undefined);
      const offCreated = this.containers.onRun(c.id, "created", () => done(connectWhenReady(socket)));
      const offRemoved = this.containers.onRun(c.id, "removed", () => done(undefined));
      signal.addEventListener("abort", onAbort);
    });
  }

  /** POST /containers/{id}/resize: the pseudo-terminal of a running TTY container. */
  async resize(ref: string, height: number, width: number): Promise<void> {
    const c = this.containers.repo.get(ref);
    if (!c.state.Running) throw new ConflictError(`Container ${c.id} is not running`);
    if (!c.config.Tty) return;
    await resizeTerminal(join(this.paths.containers, c.id), height, width).catch((err: Error) => {
      throw new EngineError(`failed to resize tty: ${err.message}`);
    });
    this.containers.publish(c, "resize", { height: String(height), width: String(width) });
  }
}

/** Docker's h/w query values: integers that fit a terminal dimension (uint16). */
export function terminalSize(
  h: string | undefined,
  w: string | undefined,
): { height: number; width: number } {
  const parse = (v: string | undefined): number => {
    const n = Number(v ?? "");
    if (v === undefined || v === "" || !/^-?\d+$/.test(v))
      throw new InvalidParameterError(`strconv.Atoi: parsing "${v ?? ""}": invalid syntax`);
    if (n < 0 || n > 65535) throw new InvalidParameterError(`invalid terminal size ${v}: out of range`);
    return n;
  };
  return { height: parse(h), width: parse(w) };
}
