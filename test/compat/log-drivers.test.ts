// Log drivers through the real docker CLI: json-file is the default and what inspect and info
// report; "none" still streams to an attached client but `docker logs` is refused; an unknown
// driver or option is refused at create. Set WHARF_TEST_SOCKET to a reference dockerd's socket
// to run the same checks against Docker.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { isRoot, startDaemon, type TestDaemon } from "../helpers/daemon.ts";
import { busyboxTar } from "../helpers/images.ts";

const hasDocker = spawnSync("docker", ["--version"]).status === 0;

describe("docker CLI: log drivers", {
  skip: (!isRoot() && "needs root") || (!hasDocker && "docker CLI missing"),
}, () => {
  let d: TestDaemon;
  const image = `compat-logdrv-bb-${process.pid}:latest`;
  const names: string[] = [];
  const docker = (...args: string[]) => {
    const r = spawnSync("docker", ["-H", `unix://${d.socket}`, ...args], {
      encoding: "utf8",
      timeout: 60_000,
      killSignal: "SIGKILL",
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const name = (n: string) => {
    const full = `logdrv-${n}-${process.pid}`;
    names.push(full);
    return full;
  };

  before(async () => {
    d = await startDaemon();
    const imported = docker("import", "-c", 'CMD ["sh"]', await busyboxTar(), image);
    assert.equal(imported.code, 0, imported.err);
  });
  after(async () => {
    if (d) {
      for (const n of names) docker("rm", "-f", n);
      docker("rmi", "-f", image);
    }
    await d?.stop();
  });

  test("json-file by default, in inspect and info; docker logs reads it", () => {
    assert.equal(docker("info", "--format", "{{.LoggingDriver}}").out, "json-file\n");
    const c = name("default");
    assert.equal(docker("run", "--name", c, image, "echo", "kept").out, "kept\n");
    assert.equal(docker("inspect", "-f", "{{.HostConfig.LogConfig.Type}}", c).out, "json-file\n");
    assert.equal(docker("logs", c).out, "kept\n");
  });

  test("none: an attached client still sees the output; docker logs is refused", () => {
    const c = name("none");
    const run = docker("run", "--name", c, "--log-driver", "none", image, "echo", "streamed");
    assert.equal(run.out, "streamed\n", run.err);
    assert.equal(docker("inspect", "-f", "{{.HostConfig.LogConfig.Type}}", c).out, "none\n");
    const logs = docker("logs", c);
    assert.equal(logs.code, 1);
    assert.match(logs.err, /configured logging driver does not support reading/);
  });

  test("an unknown driver or an option the driver does not take is refused, and nothing is created", () => {
    const unknown = docker("create", "--name", name("unknown"), "--log-driver", "nosuch", image, "true");
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /error looking up logging plugin nosuch: plugin "nosuch" not found/);
    const badOpt = docker("create", "--name", name("badopt"), "--log-opt", "bogus=1", image, "true");
    assert.equal(badOpt.code, 1);
    assert.match(badOpt.err, /unknown log opt 'bogus' for json-file log driver/);
    const left = docker(
      "ps",
      "-a",
      "--filter",
      `name=logdrv-`,
      "--filter",
      `name=${process.pid}`,
      "--format",
      "{{.Names}}",
    );
    assert.doesNotMatch(left.out, /unknown|badopt/);
  });
});
