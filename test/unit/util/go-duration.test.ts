import assert from "node:assert/strict";
import { test } from "node:test";
import { formatGoDuration } from "../../../src/util/go-duration.ts";

test("formatGoDuration matches Go's time.Duration.String", () => {
  const ms = 1_000_000;
  assert.equal(formatGoDuration(0), "0s");
  assert.equal(formatGoDuration(500), "500ns");
  assert.equal(formatGoDuration(1500), "1.5µs");
  assert.equal(formatGoDuration(300 * ms), "300ms");
  assert.equal(formatGoDuration(1500 * ms), "1.5s");
  assert.equal(formatGoDuration(30_000 * ms), "30s");
  assert.equal(formatGoDuration(120_000 * ms), "2m0s");
  assert.equal(formatGoDuration(90_500 * ms), "1m30.5s");
  assert.equal(formatGoDuration(3_600_000 * ms), "1h0m0s");
});
