// Talking to a running conmon: stdin through its attach socket, terminal size through its
// control fifo.
//
// conmon's attach socket is a SOCK_SEQPACKET unix socket, which Node's net module cannot open
// (it only speaks SOCK_STREAM). Debian's socat can (`type=5`): one small socat per attached
// stdin copies our bytes into the socket, and its half-close on our end-of-input is what
// conmon reads as "the attached client is done" (it then closes the container's stdin unless
// started with --leave-stdin-open). Output does not need the socket: conmon writes every byte
// to the log file, which attach follows, so socat's own output is discarded.
import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import type { Writable } from "node:stream";

export interface StdinConnection {
  /** Bytes for the process's stdin. */
  readonly input: Writable;
  /** Ends the input (conmon then closes stdin when the session has StdinOnce). */
  end(): void;
  /** Drops the connection without ending the input first (detach: stdin stays open). */
  close(): void;
  /** Settles when socat has exited. */
  readonly closed: Promise<void>;
}

/** Connects to the attach socket of a conmon (`<socketDir>/<id>/attach`). */
export function connectStdin(socketPath: string, socatPath = "socat"): StdinConnection {
  const child = spawn(socatPath, ["-b", "65536", "-", `UNIX-CONNECT:${socketPath},type=5`], {
    stdio: ["pipe", "ignore", "ignore"],
  });
  const input = child.stdin;
  // A monitor that went away (the process exited) is the end of this session, not an error.
  input.on("error", () => undefined);
  const closed = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", () => resolve());
  });
  return {
    input,
    end: () => input.end(),
    close: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
    closed,
  };
}

/** Resizes the pseudo-terminal a conmon holds, through the `ctl` fifo in its bundle dir. */
export async function resizeTerminal(bundleDir: string, height: number, width: number): Promise<void> {
  // Non-blocking: conmon holds the read end; without a reader this fails (ENXIO) at once.
  const fh = await open(join(bundleDir, "ctl"), constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    await fh.write(`1 ${height} ${width}\n`);
  } finally {
    await fh.close();
  }
}
