import assert from "node:assert/strict";
import { PassThrough, Readable } from "node:stream";
import { test } from "node:test";
import { jsonLines } from "../../../src/client/jsonlines.ts";
import { Demuxer, demuxStream } from "../../../src/client/mux.ts";

function frame(stream: number, text: string): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(Buffer.byteLength(text), 4);
  return Buffer.concat([header, Buffer.from(text)]);
}

test("frames are cut whatever the chunk boundaries", () => {
  const all = Buffer.concat([frame(1, "out\n"), frame(2, "err\n"), frame(1, ""), frame(1, "x")]);
  for (let size = 1; size <= all.length; size++) {
    const got: string[] = [];
    const d = new Demuxer((kind, payload) => got.push(`${kind}:${payload.toString()}`));
    for (let i = 0; i < all.length; i += size) d.push(all.subarray(i, i + size));
    assert.deepEqual(got, ["stdout:out\n", "stderr:err\n", "stdout:", "stdout:x"]);
    assert.equal(d.leftover, 0);
  }
});

test("demuxStream writes each stream where it belongs; a type-3 frame is the daemon's error", async () => {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = "";
  let e = "";
  out.on("data", (b: Buffer) => {
    o += b.toString();
  });
  err.on("data", (b: Buffer) => {
    e += b.toString();
  });
  await demuxStream(Readable.from([Buffer.concat([frame(1, "a"), frame(2, "b"), frame(0, "c")])]), out, err);
  assert.equal(o, "ac");
  assert.equal(e, "b");
  await assert.rejects(demuxStream(Readable.from([frame(3, "boom")]), out, err), { message: "boom" });
});

test("JSON lines across chunks, blank lines skipped", async () => {
  const got = [];
  for await (const v of jsonLines(Readable.from(['{"a":', '1}\r\n\n{"b"', ":2}"]))) got.push(v);
  assert.deepEqual(got, [{ a: 1 }, { b: 2 }]);
});
