import assert from "node:assert/strict";
import { test } from "node:test";
import {
  checkLogConfig,
  LOG_DRIVER_NAMES,
  logDriverWarnings,
  logSizeLimit,
  logsReadable,
} from "../../../../src/engine/containers/log-driver.ts";

test("checkLogConfig: the driver filled in, Docker's refusals for unknown drivers and options", () => {
  assert.deepEqual(checkLogConfig(undefined), { Type: "json-file", Config: {} });
  assert.deepEqual(checkLogConfig({ Type: "" }, "local"), { Type: "local", Config: {} });
  assert.deepEqual(checkLogConfig({ Type: "json-file", Config: { "max-size": "1m", "max-file": "3" } }), {
    Type: "json-file",
    Config: { "max-size": "1m", "max-file": "3" },
  });
  // Shipping drivers' options are theirs: passed through unchecked.
  assert.deepEqual(checkLogConfig({ Type: "syslog", Config: { "syslog-address": "udp://x" } }), {
    Type: "syslog",
    Config: { "syslog-address": "udp://x" },
  });
  assert.throws(() => checkLogConfig({ Type: "foo" }), {
    message: 'error looking up logging plugin foo: plugin "foo" not found',
  });
  assert.throws(() => checkLogConfig({ Type: "json-file", Config: { bogus: "1" } }), {
    message: "unknown log opt 'bogus' for json-file log driver",
  });
  assert.throws(
    () => checkLogConfig({ Type: "none", Config: { "max-size": "1m" } }),
    /unknown log opt 'max-size'/,
  );
  assert.throws(
    () => checkLogConfig({ Config: { "max-size": "lots" } }),
    /invalid log option max-size: lots/,
  );
});

test("warnings, readability and the rotation size follow the driver", () => {
  assert.deepEqual(logDriverWarnings({ LogConfig: { Type: "json-file" } }), []);
  assert.match(
    logDriverWarnings({ LogConfig: { Type: "journald" } })[0] ?? "",
    /does not ship logs to journald/,
  );
  assert.equal(logsReadable({ LogConfig: { Type: "none" } }), false);
  assert.equal(logsReadable({ LogConfig: { Type: "syslog" } }), true);
  assert.equal(logSizeLimit({ LogConfig: { Type: "json-file", Config: { "max-size": "2k" } } }, 99), 2048);
  assert.equal(logSizeLimit({ LogConfig: { Type: "json-file" } }, 99), 99);
  assert.equal(logSizeLimit({ LogConfig: { Type: "none" } }, 99 * 1024 * 1024), 1024 * 1024);
  assert.ok(LOG_DRIVER_NAMES.includes("json-file") && LOG_DRIVER_NAMES.includes("syslog"));
});
