// Docker's pre-rendered progress strings (JSONProgress.String with no terminal: 200 columns).
import assert from "node:assert/strict";
import { test } from "node:test";
import { humanSize, progressBar, shortId } from "../../../src/engine/images/progress.ts";

test("humanSize: 4 significant digits, decimal units", () => {
  assert.equal(humanSize(36445), "36.45kB");
  assert.equal(humanSize(3001158), "3.001MB");
  assert.equal(humanSize(999), "999B");
  assert.equal(humanSize(1000), "1kB");
});

test("progressBar as Docker renders it", () => {
  assert.equal(progressBar(36445, 3001158), `[>${" ".repeat(50)}]  36.45kB/3.001MB`);
  assert.equal(progressBar(3001158, 3001158), `[${"=".repeat(50)}>]  3.001MB/3.001MB`);
  assert.equal(progressBar(1500, 3000), `[${"=".repeat(25)}>${" ".repeat(25)}]    1.5kB/3kB`);
  // A wonky total shows only the current count.
  assert.equal(progressBar(2560, 9), `[${"=".repeat(50)}>]   2.56kB`);
  assert.equal(progressBar(0, 0), "");
});

test("short IDs are 12 hex digits", () => {
  assert.equal(shortId(`sha256:${"ab".repeat(32)}`), "abababababab");
});
