import type { Writable } from "node:stream";

// Docker's stdcopy framing for non-TTY streams: an 8-byte header [stream, 0, 0, 0, size BE32]
// before each chunk; stream 0 = stdin, 1 = stdout, 2 = stderr.
export function muxFrame(stream: "stdin" | "stdout" | "stderr", data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream === "stdin" ? 0 : stream === "stdout" ? 1 : 2;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

/**
 * Copies output entries to a hijacked connection, framed unless the session has a TTY, waiting
 * for the socket to drain (or the session to end) so a slow client slows the source down.
 */
export async function pumpOutput(
  entries: AsyncIterable<{ stream: "stdout" | "stderr"; data: Buffer }>,
  out: Writable,
  tty: boolean,
  signal: AbortSignal,
): Promise<void> {
  for await (const entry of entries) {
    if (!out.write(tty ? entry.data : muxFrame(entry.stream, entry.data))) {
      await new Promise((resolve) => {
        out.once("drain", resolve);
        signal.addEventListener("abort", resolve, { once: true });
      });
    }
  }
}
