// WebSocket framing (RFC 6455): server frames unmasked, client frames masked, the three length
// encodings, and partial input.
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeFrame, encodeFrame } from "../../../src/api/websocket.ts";

/** A client frame as browsers send it: masked. */
function clientFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const len = payload.length;
  const head =
    len < 126
      ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | len])
      : Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  const body = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] as number)));
  return Buffer.concat([head, mask, body]);
}

test("server frames: FIN set, no mask, 7-bit / 16-bit / 64-bit lengths", () => {
  assert.deepEqual([...encodeFrame(2, Buffer.from("hi"))], [0x82, 2, 0x68, 0x69]);
  const mid = encodeFrame(1, Buffer.alloc(300, 0x61));
  assert.deepEqual([...mid.subarray(0, 4)], [0x81, 126, 1, 44]);
  assert.equal(mid.length, 304);
  const big = encodeFrame(2, Buffer.alloc(70_000));
  assert.deepEqual([...big.subarray(0, 2)], [0x82, 127]);
  assert.equal(big.readBigUInt64BE(2), 70_000n);
  // What the server sends, it reads back.
  assert.deepEqual(decodeFrame(big)?.payload.length, 70_000);
});

test("client frames are unmasked; an incomplete frame waits for more bytes", () => {
  const f = clientFrame(1, Buffer.from("hello"));
  const d = decodeFrame(f);
  assert.equal(d?.payload.toString(), "hello");
  assert.equal(d?.opcode, 1);
  assert.equal(d?.fin, true);
  assert.equal(d?.size, f.length);
  for (let cut = 0; cut < f.length; cut++)
    assert.equal(decodeFrame(f.subarray(0, cut)), undefined, `cut ${cut}`);
  const long = clientFrame(2, Buffer.alloc(1000, 7), false);
  const dl = decodeFrame(Buffer.concat([long, Buffer.from([0x81])]));
  assert.equal(dl?.payload.length, 1000);
  assert.equal(dl?.fin, false);
  assert.equal(dl?.size, long.length);
});
