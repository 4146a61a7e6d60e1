// Restart policy decisions and back-off, as moby's restartmanager.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  maxBackoffMs,
  nextBackoff,
  restartsAfterExit,
  restartsOnDaemonStart,
} from "../../../src/engine/containers/restart-policy.ts";

test("back-off: 100 ms, doubling per quick exit, capped at a minute, reset by a 10 s run", () => {
  const delays: number[] = [];
  let d = 0;
  for (let i = 0; i < 12; i++) {
    d = nextBackoff(d, 50);
    delays.push(d);
  }
  assert.deepEqual(delays.slice(0, 5), [100, 200, 400, 800, 1600]);
  assert.equal(delays.at(-1), maxBackoffMs);
  // A long run resets the delay; the next quick exit doubles from there, not from the count.
  assert.equal(nextBackoff(maxBackoffMs, 10_000), 100);
  assert.equal(nextBackoff(nextBackoff(maxBackoffMs, 10_000), 20), 200);
});

test("after an exit: policies, retries, and a manual stop cancels every one", () => {
  const facts = { exitCode: 1, manuallyStopped: false, restartCount: 0 };
  assert.equal(restartsAfterExit(undefined, facts), false);
  assert.equal(restartsAfterExit({ Name: "no" }, facts), false);
  assert.equal(restartsAfterExit({ Name: "always" }, { ...facts, exitCode: 0 }), true);
  assert.equal(restartsAfterExit({ Name: "unless-stopped" }, { ...facts, exitCode: 0 }), true);
  assert.equal(restartsAfterExit({ Name: "on-failure" }, { ...facts, exitCode: 0 }), false);
  assert.equal(restartsAfterExit({ Name: "on-failure" }, { ...facts, restartCount: 99 }), true);
  const two = { Name: "on-failure", MaximumRetryCount: 2 } as const;
  assert.equal(restartsAfterExit(two, { ...facts, restartCount: 1 }), true);
  assert.equal(restartsAfterExit(two, { ...facts, restartCount: 2 }), false);
  for (const Name of ["always", "unless-stopped", "on-failure"] as const)
    assert.equal(restartsAfterExit({ Name }, { ...facts, manuallyStopped: true }), false, Name);
});

test("at daemon start: always even if stopped by hand, unless-stopped not, on-failure on failure", () => {
  const stopped = { exitCode: 137, manuallyStopped: true, restartCount: 0, startedBefore: true };
  assert.equal(restartsOnDaemonStart({ Name: "always" }, stopped), true);
  assert.equal(restartsOnDaemonStart({ Name: "unless-stopped" }, stopped), false);
  assert.equal(
    restartsOnDaemonStart({ Name: "unless-stopped" }, { ...stopped, manuallyStopped: false }),
    true,
  );
  assert.equal(restartsOnDaemonStart({ Name: "on-failure" }, { ...stopped, exitCode: 0 }), false);
  assert.equal(restartsOnDaemonStart({ Name: "on-failure" }, { ...stopped, exitCode: 4 }), true);
  assert.equal(
    restartsOnDaemonStart({ Name: "on-failure", MaximumRetryCount: 1 }, { ...stopped, restartCount: 1 }),
    false,
  );
  assert.equal(restartsOnDaemonStart({ Name: "always" }, { ...stopped, startedBefore: false }), false);
});
