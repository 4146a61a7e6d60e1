// Pure pieces of attach/exec/top/health: terminal sizes, detach keys, ps parsing, probe rules.
import assert from "node:assert/strict";
import { test } from "node:test";
import { detachKeysOf, terminalSize } from "../../../src/engine/containers/attach.ts";
import {
  type HealthState,
  mergeHealthcheck,
  probeCommand,
  recordProbe,
  validateHealthcheck,
} from "../../../src/engine/containers/health.ts";
import { parsePs } from "../../../src/engine/containers/top.ts";

test("terminalSize: integers in uint16 range, Docker's Atoi message otherwise", () => {
  assert.deepEqual(terminalSize("40", "100"), { height: 40, width: 100 });
  assert.throws(() => terminalSize("x", "1"), /strconv.Atoi: parsing "x": invalid syntax/);
  assert.throws(() => terminalSize(undefined, "1"), /invalid syntax/);
  assert.throws(() => terminalSize("-1", "1"), /out of range/);
  assert.throws(() => terminalSize("70000", "1"), /out of range/);
});

test("detachKeysOf: default ctrl-p,ctrl-q; custom; bad specs are a 400", () => {
  assert.deepEqual(detachKeysOf(undefined), [16, 17]);
  assert.deepEqual(detachKeysOf("ctrl-x,y"), [24, 121]);
  assert.throws(
    () => detachKeysOf("ctrl-??"),
    (err: Error & { status?: number }) => err.status === 400,
  );
});

test("parsePs keeps the container's rows and the spaces of the last column", () => {
  const out = [
    "UID   PID  PPID  C STIME TTY          TIME CMD",
    "root    1     0  0 10:00 ?        00:00:01 /sbin/init splash",
    "root  200     1  0 10:01 ?        00:00:00 sleep 600",
    "root  201   200  0 10:01 ?        00:00:00 sh -c echo hi there",
  ].join("\n");
  const r = parsePs(out, new Set([200, 201]));
  assert.deepEqual(r.Titles, ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]);
  assert.deepEqual(r.Processes, [
    ["root", "200", "1", "0", "10:01", "?", "00:00:00", "sleep 600"],
    ["root", "201", "200", "0", "10:01", "?", "00:00:00", "sh -c echo hi there"],
  ]);
  assert.throws(() => parsePs("COMMAND\nsh\n", new Set()), /Couldn't find PID field/);
});

test("probeCommand: CMD, CMD-SHELL, NONE and nothing", () => {
  assert.deepEqual(probeCommand({ Test: ["CMD", "true"] }), ["true"]);
  assert.deepEqual(probeCommand({ Test: ["CMD-SHELL", "exit 1"] }), ["/bin/sh", "-c", "exit 1"]);
  assert.equal(probeCommand({ Test: ["NONE"] }), undefined);
  assert.equal(probeCommand(undefined), undefined);
});

test("recordProbe: retries, start period, the last 5 results", () => {
  const h: HealthState = { Status: "starting", FailingStreak: 0, Log: [] };
  const result = (code: number) => ({ Start: "", End: "", ExitCode: code, Output: "" });
  assert.equal(recordProbe(h, result(1), { retries: 2, inStartPeriod: true }), undefined);
  assert.equal(h.FailingStreak, 0, "failures in the start period do not count");
  assert.equal(recordProbe(h, result(0), { retries: 2, inStartPeriod: true }), "healthy");
  assert.equal(recordProbe(h, result(1), { retries: 2, inStartPeriod: false }), undefined);
  assert.equal(h.FailingStreak, 1);
  assert.equal(recordProbe(h, result(1), { retries: 2, inStartPeriod: false }), "unhealthy");
  for (let i = 0; i < 5; i++) recordProbe(h, result(1), { retries: 2, inStartPeriod: false });
  assert.equal(h.Log.length, 5);
});

test("mergeHealthcheck: the container's fields win, unset ones come from the image", () => {
  const image = { Test: ["CMD", "img"], Interval: 5, Retries: 7 };
  assert.deepEqual(mergeHealthcheck({ Interval: 1 }, image), {
    Interval: 1,
    Test: ["CMD", "img"],
    Timeout: undefined,
    StartPeriod: undefined,
    StartInterval: undefined,
    Retries: 7,
  });
  assert.deepEqual(mergeHealthcheck(undefined, image), image);
  assert.deepEqual(mergeHealthcheck({ Test: ["NONE"] }, image)?.Test, ["NONE"]);
});

test("validateHealthcheck: Docker's 400s for durations under 1ms and negative retries", () => {
  const ms = 1_000_000;
  validateHealthcheck({ Test: ["CMD", "true"], Interval: ms, Timeout: 0, Retries: 0 });
  validateHealthcheck(undefined);
  for (const field of ["Interval", "Timeout", "StartPeriod", "StartInterval"]) {
    assert.throws(
      () => validateHealthcheck({ [field]: ms - 1 }),
      (err: Error & { status?: number }) =>
        err.status === 400 && err.message === `${field} in Healthcheck cannot be less than 1ms`,
    );
  }
  assert.throws(() => validateHealthcheck({ Retries: -1 }), /Retries in Healthcheck cannot be negative/);
});
