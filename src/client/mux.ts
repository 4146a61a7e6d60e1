// Docker's stdcopy framing of non-TTY attach/logs/exec streams: an 8-byte header
// [stream, 0, 0, 0, size BE32] before each payload; 0 = stdin, 1 = stdout, 2 = stderr,
// 3 = an error from the daemon (the payload is its message).
import type { Readable, Writable } from "node:stream";

export type StreamKind = "stdout" | "stderr" | "system";

export class DemuxError extends Error {}

/** Cuts a byte stream into frames, whatever the chunk boundaries. */
export class Demuxer {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly onFrame: (kind: StreamKind, payload: Buffer) => void;

  constructor(onFrame: (kind: StreamKind, payload: Buffer) => void) {
    this.onFrame = onFrame;
  }

  push(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 8) {
      const type = this.buffered[0] as number;
      const size = this.buffered.readUInt32BE(4);
      if (this.buffered.length < 8 + size) break;
      const payload = this.buffered.subarray(8, 8 + size);
      this.buffered = this.buffered.subarray(8 + size);
      if (type === 0 || type === 1) this.onFrame("stdout", payload);
      else if (type === 2) this.onFrame("stderr", payload);
      else if (type === 3) this.onFrame("system", payload);
      else throw new DemuxError(`Unrecognized input header: ${type}`);
    }
  }

  /** Bytes of an incomplete frame left at the end of the stream. */
  get leftover(): number {
    return this.buffered.length;
  }
}

function write(out: Writable, data: Buffer): Promise<void> {
  if (out.write(data)) return Promise.resolve();
  return new Promise((resolve) => out.once("drain", resolve));
}

/**
 * Copies a framed stream to stdout/stderr until it ends (stdcopy.StdCopy). A frame of type 3
 * ends the copy with the daemon's error.
 */
export async function demuxStream(source: Readable, stdout: Writable, stderr: Writable): Promise<void> {
  const frames: Array<[StreamKind, Buffer]> = [];
  const demuxer = new Demuxer((kind, payload) => frames.push([kind, payload]));
  for await (const chunk of source) {
    demuxer.push(chunk as Buffer);
    for (const [kind, payload] of frames.splice(0)) {
      if (kind === "system") throw new DemuxError(payload.toString("utf8"));
      await write(kind === "stderr" ? stderr : stdout, payload);
    }
  }
}

/** Copies an unframed (TTY) stream as it is. */
export async function copyStream(source: Readable, out: Writable): Promise<void> {
  for await (const chunk of source) await write(out, chunk as Buffer);
}
