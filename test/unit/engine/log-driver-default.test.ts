// The log driver inspect reports: Docker's default name when the client asked for none (clients
// such as docker-py's containers.run read logs back only for json-file or journald), and the
// client's own choice otherwise.
import assert from "node:assert/strict";
import { test } from "node:test";
import { withDaemonDefaults } from "../../../src/engine/containers/inspect.ts";
import type { HostConfig } from "../../../src/wire/containers.ts";

const defaults = { shmSize: 64 * 1024 * 1024, cgroupVersion: 1 } as const;

test("no log driver asked for: json-file, with the client's options kept", () => {
  const configs: Array<HostConfig["LogConfig"]> = [
    undefined,
    { Type: "", Config: {} },
    { Type: "", Config: { "max-size": "1m" } },
  ];
  for (const LogConfig of configs) {
    const out = withDaemonDefaults({ LogConfig }, defaults) as {
      LogConfig: { Type: string; Config: object };
    };
    assert.deepEqual(out.LogConfig, { Type: "json-file", Config: LogConfig?.Config ?? {} });
  }
});

test("a log driver the client chose is reported as it is", () => {
  const out = withDaemonDefaults({ LogConfig: { Type: "local", Config: {} } }, defaults) as {
    LogConfig: { Type: string };
  };
  assert.equal(out.LogConfig.Type, "local");
});
