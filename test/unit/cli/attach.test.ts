import assert from "node:assert/strict";
import { test } from "node:test";
import { EscapeProxy, parseDetachKeys } from "../../../src/cli/attach.ts";

test("detach keys are parsed like term.ToBytes", () => {
  assert.deepEqual(parseDetachKeys("ctrl-p,ctrl-q"), [16, 17]);
  assert.deepEqual(parseDetachKeys("ctrl-a,x"), [1, 120]);
  assert.deepEqual(parseDetachKeys("ctrl-@,ctrl-["), [0, 27]);
  assert.throws(() => parseDetachKeys("alt-x"), /Unknown character/);
});

test("the escape proxy holds back a prefix and detaches on the full sequence", () => {
  const p = new EscapeProxy([16, 17]);
  assert.deepEqual(p.feed(Buffer.from("ab")), { forward: Buffer.from("ab"), detached: false });
  // ctrl-p alone is held back until the next byte decides.
  assert.deepEqual(p.feed(Buffer.from([16])), { forward: Buffer.alloc(0), detached: false });
  assert.deepEqual(p.feed(Buffer.from("x")), { forward: Buffer.from([16, 120]), detached: false });
  assert.deepEqual(p.feed(Buffer.from([104, 16, 17])), { forward: Buffer.from("h"), detached: true });
  // A repeated first key restarts the match.
  const q = new EscapeProxy([16, 17]);
  assert.deepEqual(q.feed(Buffer.from([16, 16, 17])), { forward: Buffer.from([16]), detached: true });
});
