import assert from "node:assert/strict";
import { test } from "node:test";
import { parseLogLine } from "../../../src/engine/containers/logs.ts";

test("conmon k8s-file lines: full and partial, timestamps in RFC3339Nano UTC", () => {
  const full = parseLogLine("2026-11-23T08:11:37.027543527+00:00 stdout F hello world");
  assert.equal(full?.stream, "stdout");
  assert.equal(full?.data.toString(), "hello world\n");
  assert.equal(full?.time, "2026-11-23T08:11:37.027543527Z");
  assert.equal(full?.timeNs, BigInt(Date.parse("2026-11-23T08:11:37Z")) * 1_000_000n + 27_543_527n);
  const partial = parseLogLine("2026-11-23T08:11:37.1+02:00 stderr P no newline");
  assert.equal(partial?.data.toString(), "no newline");
  assert.equal(partial?.time, "2026-11-23T06:11:37.100000000Z");
  assert.equal(parseLogLine("garbage"), undefined);
  assert.equal(parseLogLine("2026-11-23T08:11:37Z stdout F")?.data.toString(), "\n");
});
