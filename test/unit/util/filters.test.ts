import assert from "node:assert/strict";
import { test } from "node:test";
import { FilterError, matchLabels, parseFilters } from "../../../src/util/filters.ts";
import { parseSignal } from "../../../src/util/signals.ts";

test("filters arrive in map form (docker CLI) and list form (compose, docker-py)", () => {
  assert.deepEqual(parseFilters('{"status":{"exited":true,"running":false}}').get("status"), ["exited"]);
  assert.deepEqual(parseFilters('{"label":["a=b","c"]}').get("label"), ["a=b", "c"]);
  assert.equal(parseFilters("").size, 0);
  assert.throws(() => parseFilters("{bad"), FilterError);
  assert.throws(() => parseFilters('{"x":1}'), FilterError);
});

test("label matching: presence, equality, inequality", () => {
  const labels = { a: "b", c: "" };
  assert.ok(matchLabels(["a=b", "c"], labels));
  assert.ok(!matchLabels(["a=x"], labels));
  assert.ok(matchLabels(["a!=x"], labels));
  assert.ok(!matchLabels(["missing"], labels));
  assert.ok(matchLabels(undefined, labels));
});

test("signals by name, with or without SIG, and by number", () => {
  assert.equal(parseSignal("HUP"), 1);
  assert.equal(parseSignal("SIGKILL"), 9);
  assert.equal(parseSignal("term"), 15);
  assert.equal(parseSignal("10"), 10);
  assert.equal(parseSignal("NOPE"), undefined);
  assert.equal(parseSignal("99"), undefined);
});

test("real-time signals by Docker's names (systemd images stop with SIGRTMIN+3)", () => {
  assert.equal(parseSignal("SIGRTMIN+3"), 37);
  assert.equal(parseSignal("RTMIN"), 34);
  assert.equal(parseSignal("SIGRTMAX-2"), 62);
  assert.equal(parseSignal("SIGRTMIN+31"), undefined);
});
