// The server side of a WebSocket (RFC 6455), just what Docker's attach/ws needs: the handshake,
// each write sent as one unmasked frame, the client's masked frames read back as a byte stream
// (fragments joined, pings answered, a close frame ends it).
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { type Duplex, PassThrough, type Readable, Writable } from "node:stream";
import { InvalidParameterError } from "../engine/errors.ts";

const guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

const opcodes = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface WebSocketStreams {
  /** The payload of the client's data frames. */
  input: Readable;
  /** Each write becomes one data frame; end() sends a close frame. */
  output: Writable;
}

/** Docker's (x/net/websocket) checks of an upgrade request; a bad one is a 400. */
export function webSocketKey(req: IncomingMessage): string {
  const upgrade = (req.headers.upgrade ?? "").toLowerCase();
  const connection = (req.headers.connection ?? "").toLowerCase();
  if (upgrade !== "websocket" || !connection.includes("upgrade"))
    throw new InvalidParameterError("not websocket protocol");
  const key = req.headers["sec-websocket-key"];
  if (typeof key !== "string" || key === "") throw new InvalidParameterError("mismatch challenge/response");
  if (req.headers["sec-websocket-version"] !== "13")
    throw new InvalidParameterError("missing or bad WebSocket Version");
  return key;
}

/** One frame from the server (never masked). */
export function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head =
    len < 126
      ? Buffer.from([0x80 | opcode, len])
      : len < 65536
        ? Buffer.from([0x80 | opcode, 126, len >> 8, len & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 127]), u64(len)]);
  return Buffer.concat([head, payload]);
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
  /** Bytes the frame took in the buffer. */
  size: number;
}

/** Parses the frame at the start of `buf`, or undefined when it is not all there yet. */
export function decodeFrame(buf: Buffer): Frame | undefined {
  if (buf.length < 2) return undefined;
  const b0 = buf[0] as number;
  const b1 = buf[1] as number;
  let len = b1 & 0x7f;
  let at = 2;
  if (len === 126) {
    if (buf.length < 4) return undefined;
    len = buf.readUInt16BE(2);
    at = 4;
  } else if (len === 127) {
    if (buf.length < 10) return undefined;
    len = Number(buf.readBigUInt64BE(2));
    at = 10;
  }
  const masked = (b1 & 0x80) !== 0;
  const mask = masked ? buf.subarray(at, at + 4) : undefined;
  if (masked) at += 4;
  if (buf.length < at + len) return undefined;
  const payload = Buffer.from(buf.subarray(at, at + len));
  if (mask)
    for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (mask[i % 4] as number);
  return { fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload, size: at + len };
}

/**
 * Completes the handshake on an upgraded connection and returns its payload streams. `binary`:
 * data frames are binary (Docker since API 1.28) rather than text.
 */
export function acceptWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  opts: { binary: boolean },
): WebSocketStreams {
  const key = webSocketKey(req);
  const accept = createHash("sha1")
    .update(key + guid)
    .digest("base64");
  socket.write(
    [
      "HTTP/1.1 101 Switching Protocols",
      "Upgrade: websocket",
      "Connection: Upgrade",
      `Sec-WebSocket-Accept: ${accept}`,
      "",
      "",
    ].join("\r\n"),
  );
  const input = new PassThrough();
  let pending = head;
  let message: Buffer[] = [];
  let closed = false;
  const onData = (chunk: Buffer) => {
    pending = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    for (;;) {
      const frame = decodeFrame(pending);
      if (!frame) return;
      pending = pending.subarray(frame.size);
      switch (frame.opcode) {
        case opcodes.ping:
          if (!socket.destroyed) socket.write(encodeFrame(opcodes.pong, frame.payload));
          break;
        case opcodes.pong:
          break;
        case opcodes.close:
          // The answer to a client's close ends the connection (RFC 6455 5.5.1).
          if (!closed && !socket.destroyed)
            socket.end(encodeFrame(opcodes.close, frame.payload.subarray(0, 2)));
          else socket.end();
          closed = true;
          input.end();
          socket.off("data", onData);
          return;
        default:
          message.push(frame.payload);
          if (frame.fin) {
            input.write(Buffer.concat(message));
            message = [];
          }
      }
    }
  };
  socket.on("data", onData);
  socket.once("end", () => input.end());
  socket.once("close", () => input.end());
  if (head.length > 0) queueMicrotask(() => onData(Buffer.alloc(0)));
  const dataOpcode = opts.binary ? opcodes.binary : opcodes.text;
  const output = new Writable({
    write(chunk: Buffer, _enc, done) {
      if (socket.destroyed) return done();
      socket.write(encodeFrame(dataOpcode, chunk), () => done());
    },
    final(done) {
      if (!closed && !socket.destroyed) {
        closed = true;
        // 1000: normal closure.
        socket.end(encodeFrame(opcodes.close, Buffer.from([0x03, 0xe8])));
      } else {
        socket.end();
      }
      done();
    },
  });
  output.on("error", () => undefined);
  return { input, output };
}
