// Sends a byte range of a blob through two reused buffers. A read stream would allocate a new
// buffer for every chunk; each becomes garbage the moment the socket has it, and V8 collects
// such external memory only in batches (RSS climbs by tens of MiB during a big download, and
// the collections cost CPU). Here a buffer is refilled only after the socket has taken its
// previous contents (the write callback), so a download of any size allocates two buffers.
import type { ServerResponse } from "node:http";
import { STREAM_CHUNK_BYTES } from "../storage/blob-store.ts";

/** Reads up to `length` bytes at `position` into the start of `buffer`; resolves with the count. */
export type ReadAt = (buffer: Buffer, length: number, position: number) => Promise<number>;

/** The client went away before the body was sent: routine, not a server error. */
export class ClientGoneError extends Error {}

/** Writes bytes `start`..`end` (inclusive) read through `read` to `res`, then ends it. */
export async function sendRange(
  read: ReadAt,
  res: ServerResponse,
  start: number,
  end: number,
): Promise<void> {
  const total = end - start + 1;
  const size = Math.min(STREAM_CHUNK_BYTES, Math.max(total, 1));
  const buffers = [Buffer.allocUnsafeSlow(size), Buffer.allocUnsafeSlow(size)];
  const pending: Array<Promise<void> | undefined> = [undefined, undefined];
  // Write callbacks of a destroyed socket are not always called: the close settles every wait.
  let onGone: (err: Error) => void = () => undefined;
  const gone = new Promise<never>((_, reject) => {
    onGone = reject;
  });
  gone.catch(() => undefined);
  const onClose = () => {
    if (!res.writableFinished) onGone(new ClientGoneError("client closed the connection"));
  };
  res.once("close", onClose);
  try {
    let position = start;
    for (let i = 0; position <= end; i ^= 1) {
      if (pending[i]) await Promise.race([pending[i], gone]);
      const buffer = buffers[i] as Buffer;
      const n = await read(buffer, Math.min(size, end - position + 1), position);
      if (n === 0) throw new Error(`blob ended at byte ${position} of ${end + 1}`);
      position += n;
      const chunk = n === size ? buffer : buffer.subarray(0, n);
      pending[i] = new Promise<void>((resolve, reject) => {
        res.write(chunk, (err) => (err ? reject(err) : resolve()));
      });
      pending[i]?.catch(() => undefined);
    }
    await Promise.race([Promise.all(pending), gone]);
    await Promise.race([new Promise<void>((resolve) => res.end(resolve)), gone]);
  } finally {
    res.off("close", onClose);
  }
}
