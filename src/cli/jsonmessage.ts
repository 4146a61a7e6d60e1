// Progress streams (pull, import, load) shown as the docker CLI shows them
// (pkg/jsonmessage): off a terminal, one line per status and no progress bars; on a terminal,
// one line per layer ID updated in place.
import type { Writable } from "node:stream";
import type { JsonMessage } from "../client/types.ts";
import { writeOut } from "./command.ts";

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

/** One message as jsonmessage.Display renders it. */
export function renderJsonMessage(jm: JsonMessage, terminal: boolean): string {
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
  if (jm.progressDetail !== undefined && terminal) out += `${jm.status ?? ""} ${jm.progress ?? ""}${endl}`;
  else if (jm.stream !== undefined) out += `${jm.stream}${endl}`;
  else out += `${jm.status ?? ""}${endl}\n`;
  return out;
}

/**
 * Prints a progress stream; aux messages go to onAux. Throws the stream's error, if any,
 * once the lines before it are out.
 */
export async function displayJsonMessages(
  messages: AsyncIterable<JsonMessage>,
  out: Writable & { isTTY?: boolean },
  onAux?: (aux: Record<string, unknown>) => void,
): Promise<void> {
  const terminal = out.isTTY === true;
  let ids = new Map<string, number>();
  for await (const jm of messages) {
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
      text += renderJsonMessage(jm, terminal);
    } finally {
      if (jm.id && terminal && diff > 0) text += `\x1b[${diff}B`;
      if (text) await writeOut(out, text);
    }
  }
}
