// wharf login / logout / push / pull against `wharf registry serve` with htpasswd auth:
// credentials land in $DOCKER_CONFIG/config.json in docker's format and are sent on push/pull.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { busyboxTar } from "../../helpers/images.ts";
import { writeHtpasswd } from "../distribution/helpers.ts";
import { startTestRegistry, type TestRegistry } from "../registry/helpers.ts";
import { type Daemon, startDaemon, wharf } from "./harness.ts";

let daemon: Daemon;
let reg: TestRegistry;
let host: string;
let cfg: string;

before(async () => {
  cfg = mkdtempSync(join(tmpdir(), "wharf-cli-cfg-"));
  process.env.DOCKER_CONFIG = cfg;
  await writeHtpasswd(join(cfg, "htpasswd"), { alice: "alice-pw" });
  reg = await startTestRegistry({ htpasswd: join(cfg, "htpasswd") });
  host = new URL(reg.url).host;
  daemon = await startDaemon();
  const imported = await wharf(daemon.host, ["import", await busyboxTar(), "clireg/bb:1"]);
  assert.equal(imported.code, 0, imported.stderr);
});
after(async () => {
  try {
    await daemon?.stop();
  } finally {
    await reg?.close(); // an open server in this process would keep the test file alive
    rmSync(cfg, { recursive: true, force: true });
  }
});

test("login: wrong password fails, right one is stored as docker stores it", async () => {
  const bad = await wharf(daemon.host, ["login", host, "-u", "alice", "--password-stdin"], {
    input: "nope\n",
  });
  assert.equal(bad.code, 1);
  assert.equal(
    bad.stderr.trim(),
    `Error response from daemon: login attempt to http://${host}/v2/ failed with status: 401 Unauthorized`,
  );
  const ok = await wharf(daemon.host, ["login", host, "-u", "alice", "--password-stdin"], {
    input: "alice-pw\n",
  });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, "Login Succeeded\n");
  const file = join(cfg, "config.json");
  const config = JSON.parse(readFileSync(file, "utf8")) as { auths: Record<string, { auth: string }> };
  assert.equal(Buffer.from(config.auths[host]?.auth ?? "", "base64").toString(), "alice:alice-pw");
  assert.equal(statSync(file).mode & 0o777, 0o600);
});

test("push and pull with the stored credentials; logout forgets them", async () => {
  const name = `${host}/alice/bb:1`;
  assert.equal((await wharf(daemon.host, ["tag", "clireg/bb:1", name])).code, 0);
  const pushed = await wharf(daemon.host, ["push", name]);
  assert.equal(pushed.code, 0, pushed.stderr);
  assert.match(pushed.stdout, /^The push refers to repository \[/m);
  assert.match(pushed.stdout, /^1: digest: sha256:[a-f0-9]{64} size: \d+$/m);
  assert.equal((await wharf(daemon.host, ["rmi", name])).code, 0);
  const pulled = await wharf(daemon.host, ["pull", name]);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.match(pulled.stdout, /^1: Pulling from alice\/bb$/m);
  assert.match(pulled.stdout, /^Status: Downloaded newer image for .*alice\/bb:1$/m);
  assert.ok(pulled.stdout.endsWith(`${name}\n`));
  const quiet = await wharf(daemon.host, ["pull", "-q", name]);
  assert.equal(quiet.stdout, `${name}\n`);

  const out = await wharf(daemon.host, ["logout", host]);
  assert.equal(out.stdout, `Removing login credentials for ${host}\n`);
  assert.equal((await wharf(daemon.host, ["logout", host])).stdout, `Not logged in to ${host}\n`);
  const denied = await wharf(daemon.host, ["pull", name]);
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /no basic auth credentials/);
  const unknown = await wharf(daemon.host, ["pull", `${host}/alice/none:1`]);
  assert.equal(unknown.code, 1);
});

test("a credential helper (credsStore) keeps the secret; push uses it; logout erases it", async () => {
  const helperDir = join(cfg, "bin");
  mkdirSync(helperDir);
  const store = join(cfg, "helper-store.json");
  writeFileSync(
    join(helperDir, "docker-credential-wharftest"),
    `#!/bin/sh
case "$1" in
  store) cat > "${store}" ;;
  get) read server; if [ -f "${store}" ]; then cat "${store}"; else echo "credentials not found in native keychain"; exit 1; fi ;;
  erase) read server; if [ -f "${store}" ]; then rm "${store}"; else echo "credentials not found in native keychain"; exit 1; fi ;;
esac
`,
    { mode: 0o755 },
  );
  process.env.PATH = `${helperDir}:${process.env.PATH}`;
  writeFileSync(join(cfg, "config.json"), JSON.stringify({ credsStore: "wharftest" }));
  const login = await wharf(daemon.host, ["login", host, "-u", "alice", "--password-stdin"], {
    input: "alice-pw",
  });
  assert.equal(login.code, 0, login.stderr);
  assert.doesNotMatch(login.stderr, /unencrypted/);
  assert.deepEqual(JSON.parse(readFileSync(store, "utf8")), {
    ServerURL: host,
    Username: "alice",
    Secret: "alice-pw",
  });
  const config = JSON.parse(readFileSync(join(cfg, "config.json"), "utf8")) as {
    auths: Record<string, object>;
  };
  assert.deepEqual(config.auths[host], {});
  const name = `${host}/alice/helper:1`;
  assert.equal((await wharf(daemon.host, ["tag", "clireg/bb:1", name])).code, 0);
  const pushed = await wharf(daemon.host, ["push", "-q", name]);
  assert.equal(pushed.code, 0, pushed.stderr);
  assert.equal(pushed.stdout, `${name}\n`);
  assert.equal((await wharf(daemon.host, ["logout", host])).code, 0);
  assert.equal(existsSync(store), false);
});
