import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  defaultConfig,
  parseListenAddress,
  resolveConfig,
  validateConfig,
} from "../../../../src/distribution/registry/config.ts";
import { parseDuration } from "../../../../src/distribution/registry/duration.ts";

test("durations", () => {
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("90s"), 90_000);
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("2d"), 172_800_000);
  assert.equal(parseDuration("0s"), 0);
  assert.equal(parseDuration("10"), 10_000);
  assert.equal(parseDuration(5), 5000);
  for (const bad of ["", "1x", "m", "1h 30m", "-1s"])
    assert.throws(() => parseDuration(bad), /invalid duration/, bad);
});

test("listen addresses", () => {
  assert.deepEqual(parseListenAddress("127.0.0.1:5000"), { host: "127.0.0.1", port: 5000 });
  assert.deepEqual(parseListenAddress("[::1]:0"), { host: "::1", port: 0 });
  assert.deepEqual(parseListenAddress(":5000"), { host: "0.0.0.0", port: 5000 });
  assert.throws(() => parseListenAddress("5000"));
  assert.throws(() => parseListenAddress("h:99999"));
});

test("config file, then flags; paths relative to the file", async () => {
  const dir = await mkdtemp(join(tmpdir(), "wharf-registry-config-"));
  try {
    const file = join(dir, "registry.json");
    await writeFile(
      file,
      JSON.stringify({
        addr: "127.0.0.1:6000",
        root: "data",
        readOnly: true,
        tls: { cert: "c.pem", key: "k.pem" },
        auth: {
          htpasswd: "users",
          token: { realm: "https://r.example/auth/token", service: "svc", expiresIn: "10m" },
          access: [{ account: "a", name: "*", actions: ["pull"] }],
        },
        limits: { manifestMaxBytes: 1024 },
        uploads: { expiry: "2h" },
        gc: { grace: "1m" },
        log: { requests: false },
      }),
    );
    const config = await resolveConfig(file, { addr: "127.0.0.1:7000", gcGrace: "5s" });
    assert.equal(config.addr, "127.0.0.1:7000");
    assert.equal(config.root, join(dir, "data"));
    assert.equal(config.readOnly, true);
    assert.deepEqual(config.tls, { cert: join(dir, "c.pem"), key: join(dir, "k.pem") });
    assert.equal(config.htpasswd, join(dir, "users"));
    assert.deepEqual(config.token, {
      realm: "https://r.example/auth/token",
      service: "svc",
      issuer: "wharf-registry",
      expiresInSeconds: 600,
    });
    assert.equal(config.manifestMaxBytes, 1024);
    assert.equal(config.uploadExpiryMs, 7_200_000);
    assert.equal(config.gcGraceMs, 5000);
    assert.equal(config.requestLog, false);
    await assert.rejects(resolveConfig(join(dir, "missing.json"), {}), /cannot read config file/);
    await writeFile(file, "[1]");
    await assert.rejects(resolveConfig(file, {}), /JSON object/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("invalid configurations are explained", () => {
  const base = defaultConfig();
  assert.throws(
    () => validateConfig({ ...base, tls: { cert: "c", key: "" } }),
    /both a certificate and a key/,
  );
  const token = { realm: "https://h/auth/token", service: "s", issuer: "i", expiresInSeconds: 60 };
  assert.throws(() => validateConfig({ ...base, token }), /needs --htpasswd/);
  assert.throws(
    () => validateConfig({ ...base, htpasswd: "x", token: { ...token, realm: "/token" } }),
    /absolute URL/,
  );
  assert.throws(
    () => validateConfig({ ...base, htpasswd: "x", token: { ...token, realm: "https://h/v2/token" } }),
    /outside \/v2\//,
  );
  assert.throws(() => validateConfig({ ...base, manifestMaxBytes: 0 }), /positive/);
  validateConfig({ ...base, htpasswd: "x", token });
});
