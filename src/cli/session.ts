// Pieces shared by `run` and `start -a`: signal forwarding (docker's sig-proxy), terminal size
// updates for TTY containers, and waiting for the end of an attached container.
import type { EngineClient, WaitHandle } from "../client/engine-client.ts";
import type { AttachEnd } from "./attach.ts";
import type { CliStreams } from "./command.ts";

/** The signals a Node process can catch that docker's CLI forwards. */
const forwarded: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR2"];

/** Forwards signals to the container (POST /kill?signal=INT); returns the undo. */
export function forwardSignals(client: EngineClient, id: string): () => void {
  const handlers = forwarded.map((sig) => {
    const handler = () => {
      client.containerKill(id, sig.slice(3)).catch(() => undefined);
    };
    process.on(sig, handler);
    return [sig, handler] as const;
  });
  return () => {
    for (const [sig, handler] of handlers) process.off(sig, handler);
  };
}

/** Sends the terminal size now and on every SIGWINCH; returns the undo. */
export function monitorTtySize(
  streams: CliStreams,
  resize: (h: number, w: number) => Promise<void>,
): () => void {
  const out = streams.stdout;
  if (!out.isTTY) return () => {};
  const send = () => {
    const h = out.rows ?? 0;
    const w = out.columns ?? 0;
    if (h > 0 && w > 0) {
      resize(h, w).catch(() => {
        // The process may not be ready yet: docker retries once shortly after.
        setTimeout(() => resize(h, w).catch(() => undefined), 100);
      });
    }
  };
  send();
  process.on("SIGWINCH", send);
  return () => process.off("SIGWINCH", send);
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * The container's exit status once attached output and the wait long-poll have both said
 * their piece; "detached" when the user typed the detach keys.
 */
export async function attachedExit(
  attach: { done: Promise<AttachEnd>; close: () => void },
  wait: WaitHandle | undefined,
  onWaitError: (err: unknown) => Promise<void>,
): Promise<number | "detached"> {
  const waited = wait
    ? wait.result.then(
        (r) => r.StatusCode,
        async (err: unknown) => {
          await onWaitError(err);
          return 125;
        },
      )
    : Promise.resolve(125);
  const first = await Promise.race([
    attach.done.then((end) => ({ kind: "attach" as const, end })),
    waited.then((code) => ({ kind: "wait" as const, code })),
  ]);
  if (first.kind === "attach") {
    if (first.end === "detached") {
      attach.close();
      wait?.cancel();
      return "detached";
    }
    return waited;
  }
  // The exit status came first: let the last output drain before closing the stream.
  await Promise.race([attach.done.catch(() => undefined), delay(2000)]);
  attach.close();
  return first.code;
}

/** Waits for the wait long-poll to answer, at most ms; then drops it. */
export async function waitBounded(wait: WaitHandle | undefined, ms: number): Promise<void> {
  if (!wait) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    wait.result.catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
  wait.cancel();
}
