// JSON-lines streams (events, pull/import progress): one JSON value per line, objects ending in
// "\n" or "\r\n", split across HTTP chunks anywhere.
import type { Readable } from "node:stream";

export type Reviver = (key: string, value: unknown, context: { source?: string }) => unknown;

/** Integers beyond 2^53 (event timeNano) as exact bigints instead of rounded numbers. */
export const preciseIntegers: Reviver = (_key, value, context) =>
  typeof value === "number" &&
  !Number.isSafeInteger(value) &&
  context?.source &&
  /^-?\d+$/.test(context.source)
    ? BigInt(context.source)
    : value;

/** Yields each JSON value of the stream; stopping the iteration destroys the stream. */
export async function* jsonLines<T>(source: Readable, reviver?: Reviver): AsyncGenerator<T> {
  const parse = (text: string) => (reviver ? JSON.parse(text, reviver as never) : JSON.parse(text)) as T;
  let pending = "";
  const decoder = new TextDecoder();
  try {
    for await (const chunk of source) {
      pending += typeof chunk === "string" ? chunk : decoder.decode(chunk as Buffer, { stream: true });
      let nl = pending.indexOf("\n");
      while (nl >= 0) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (line !== "") yield parse(line);
        nl = pending.indexOf("\n");
      }
    }
    const last = (pending + decoder.decode()).trim();
    if (last !== "") yield parse(last);
  } finally {
    if (!source.destroyed) source.destroy();
  }
}
