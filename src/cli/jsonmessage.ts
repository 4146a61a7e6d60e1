// Progress streams (pull, import, load) shown as the docker CLI shows them
// (pkg/jsonmessage): off a terminal, one line per status and no progress bars; on a terminal,
// one line per layer ID updated in place.
import type { Writable } from "node:stream";
import type { JsonMessage } from "../client/types.ts";
import { writeOut } from "./command.ts";
import { renderProgress } from "./progress-bar.ts";

/** An error carried inside the stream (`{"errorDetail": …}`): the command fails with its text. */
export class JsonMessageError extends Error {
  readonly code: number | undefined;

  constructor(message: string, code?: number) {
    super(message);
    this.code = code;
  }
}

function hasProgress(jm: JsonMessage): boolean {
  const d = jm.progressDetail;
  return !!d && ((d.current ?? 0) > 0 || (d.total ?? 0) > 0);
}

export interface RenderOptions {
  /** Terminal columns (docker asks the terminal; 200 when it cannot). */
  width?: number;
  /** Wall clock in milliseconds, for the time left. */
  now?: number;
  /** Show the transfer speed (see renderProgress). */
  speed?: boolean;
}

/** One message as jsonmessage.Display renders it. */
export function renderJsonMessage(jm: JsonMessage, terminal: boolean, opts: RenderOptions = {}): string {
  if (jm.errorDetail || jm.error) {
    throw new JsonMessageError(jm.errorDetail?.message ?? jm.error ?? "", jm.errorDetail?.code);
  }
  let out = "";
  let endl = "";
  if (terminal && jm.stream === undefined && jm.progressDetail !== undefined) {
    out += "\r\x1b[2K";
    endl = "\r";
  } else if (hasProgress(jm)) {
    return ""; // progress bars only make sense on a terminal
  }
  if (jm.id) out += `${jm.id}: `;
  if (jm.progressDetail !== undefined && terminal) {
    const bar = renderProgress(jm.progressDetail, opts.width ?? 200, opts.now ?? Date.now(), {
      speed: opts.speed,
    });
    out += `${jm.status ?? ""} ${bar}${endl}`;
  } else if (jm.stream !== undefined) out += `${jm.stream}${endl}`;
  else out += `${jm.status ?? ""}${endl}\n`;
  return out;
}

export interface DisplayOptions {
  /**
   * Show the time left on a terminal: the daemon sends no start time, so the CLI dates each
   * layer's transfer from its first byte count (docker's JSONProgress.Start, filled client-side).
   */
  timeLeft?: boolean;
  /** With timeLeft: also the average speed of each layer's transfer (wharf pull/push). */
  speed?: boolean;
}

/**
 * Prints a progress stream; aux messages go to onAux. Throws the stream's error, if any,
 * once the lines before it are out.
 */
export async function displayJsonMessages(
  messages: AsyncIterable<JsonMessage>,
  out: Writable & { isTTY?: boolean; columns?: number },
  onAux?: (aux: Record<string, unknown>) => void,
  display: DisplayOptions = {},
): Promise<void> {
  const terminal = out.isTTY === true;
  let ids = new Map<string, number>();
  const starts = new Map<string, number>();
  for await (const input of messages) {
    let jm = input;
    const detail = jm.progressDetail;
    if (display.timeLeft && terminal && jm.id && detail && (detail.current ?? 0) > 0 && !detail.start) {
      const key = `${jm.id}\0${jm.status ?? ""}`;
      let start = starts.get(key);
      if (start === undefined) {
        start = Date.now() / 1000;
        starts.set(key, start);
      }
      jm = { ...jm, progressDetail: { ...detail, start } };
    }
    if (jm.aux) {
      onAux?.(jm.aux);
      continue;
    }
    let diff = 0;
    let text = "";
    if (jm.id && (jm.progressDetail !== undefined || jm.progress)) {
      let line = ids.get(jm.id);
      if (line === undefined) {
        line = ids.size;
        ids.set(jm.id, line);
        if (terminal) text += "\n";
      }
      diff = ids.size - line;
      if (terminal && diff > 0) text += `\x1b[${diff}A`;
    } else {
      ids = new Map();
    }
    try {
      text += renderJsonMessage(jm, terminal, { width: out.columns ?? 200, speed: display.speed });
    } finally {
      if (jm.id && terminal && diff > 0) text += `\x1b[${diff}B`;
      if (text) await writeOut(out, text);
    }
  }
}
