// wharfd's core options: flags, daemon.json under Docker's key names, and what either refuses.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ConfigError, defaults, loadConfig } from "../../../src/daemon/config.ts";

describe("daemon core options", () => {
  const dir = mkdtempSync(join(tmpdir(), "wharf-config-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const file = (json: unknown) => {
    const path = join(dir, `${n++}.json`);
    writeFileSync(path, typeof json === "string" ? json : JSON.stringify(json));
    return path;
  };

  test("embedded defaults: Docker's conventions under wharf's names", () => {
    const c = loadConfig(["--config-file", file({})]);
    assert.ok(c);
    assert.deepEqual(c.hosts, ["unix:///run/wharf/wharf.sock"]);
    assert.equal(c.dataRoot, "/var/lib/wharf");
    assert.equal(c.execRoot, "/run/wharf");
    assert.equal(c.logLevel, "info");
    assert.equal(c.shmSize, 64 * 1024 * 1024);
    assert.equal(defaults.configFile, "/etc/wharf/daemon.json");
  });

  test("daemon.json keys use Docker's names", () => {
    const c = loadConfig([
      "--config-file",
      file({
        hosts: ["unix:///tmp/a.sock", "tcp://127.0.0.1:2399"],
        "data-root": "/srv/wharf",
        "exec-root": "/run/wharf-x",
        "default-runtime": "crun",
        "log-level": "debug",
        "log-opts": { "max-size": "10m" },
        "init-path": "/usr/bin/tini",
        "default-shm-size": "128M",
        "insecure-registries": ["myreg:5000"],
        "registry-mirrors": ["https://mirror.example"],
      }),
    ]);
    assert.ok(c);
    assert.deepEqual(c.hosts, ["unix:///tmp/a.sock", "tcp://127.0.0.1:2399"]);
    assert.equal(c.dataRoot, "/srv/wharf");
    assert.equal(c.execRoot, "/run/wharf-x");
    assert.equal(c.defaultRuntime, "crun");
    assert.equal(c.logLevel, "debug");
    assert.equal(c.logMaxSize, 10 * 1024 * 1024);
    assert.equal(c.initPath, "/usr/bin/tini");
    assert.equal(c.shmSize, 128 * 1024 * 1024);
    assert.deepEqual(c.insecureRegistries, ["myreg:5000"]);
    assert.deepEqual(c.registryMirrors, ["https://mirror.example"]);
  });

  test("-H may repeat; --flag=value and --flag value; an option both in a flag and in the file is refused, as by dockerd", () => {
    const c = loadConfig([
      "--config-file",
      file({ "data-root": "/from/file" }),
      "-H",
      "unix:///one.sock",
      "--host",
      "tcp://127.0.0.1:2400",
      "--exec-root=/x",
      "-l",
      "warn",
    ]);
    assert.ok(c);
    assert.equal(c.dataRoot, "/from/file");
    assert.deepEqual(c.hosts, ["unix:///one.sock", "tcp://127.0.0.1:2400"]);
    assert.equal(c.execRoot, "/x");
    assert.equal(c.logLevel, "warn");
    const path = file({ "data-root": "/from/file", hosts: ["unix:///f.sock"] });
    assert.throws(
      () => loadConfig(["--config-file", path, "--data-root=/from/flag", "-H", "unix:///a.sock"]),
      {
        message: `unable to configure the Docker daemon with file ${path}: the following directives are specified both as a flag and in the configuration file: data-root: (from flag: /from/flag, from file: /from/file), hosts: (from flag: [unix:///a.sock], from file: [unix:///f.sock])`,
      },
    );
  });

  test("log-driver: the driver of containers that name none; json-file by default", () => {
    assert.equal(defaults.logDriver, "json-file");
    assert.equal(loadConfig(["--config-file", file({ "log-driver": "local" })])?.logDriver, "local");
  });

  test("a missing file is fine at the default path only", () => {
    assert.throws(
      () => loadConfig(["--config-file", join(dir, "absent.json")]),
      /unable to read config file/,
    );
  });

  test("refused: unknown keys and flags, wrong types, bad JSON, bad values", () => {
    const refuses = (args: string[], message: RegExp) =>
      assert.throws(
        () => loadConfig(args),
        (err: unknown) => err instanceof ConfigError && message.test(err.message),
      );
    refuses(["--config-file", file({ "no-such-key": 1 })], /unknown configuration key: no-such-key/);
    refuses(["--config-file", file({ "data-root": 5 })], /data-root must be a string/);
    refuses(["--config-file", file({ hosts: "unix:///a.sock" })], /hosts must be a list of strings/);
    refuses(["--config-file", file({ iptables: "yes" })], /iptables must be a boolean/);
    refuses(["--config-file", file({ "log-opts": ["max-size=1m"] })], /log-opts must be an object/);
    refuses(["--config-file", file("{not json")], /invalid JSON/);
    refuses(["--config-file", file({ "log-driver": "nope" })], /error looking up logging plugin nope/);
    refuses(
      ["--config-file", file({ "log-driver": "local", "log-opts": { labels: "a" } })],
      /unknown log opt 'labels' for local log driver/,
    );
    refuses(["--config-file", file({ "log-level": "loud" })], /invalid log level: loud/);
    refuses(["--config-file", file({ "default-shm-size": "lots" })], /invalid size: lots/);
    refuses(["--config-file", file({}), "--bogus"], /unknown flag: --bogus/);
    refuses(["--config-file", file({}), "-H", "bogus://x"], /invalid --host: bogus:\/\/x/);
    refuses(["--config-file", file({}), "-H", "tcp://127.0.0.1"], /invalid --host/);
    refuses(["--config-file", file({ hosts: ["unix://relative.sock"] })], /invalid --host/);
    refuses(["--config-file", file({}), "--data-root"], /flag needs an argument: --data-root/);
  });
});
