// The real docker CLI driving wharfd against `wharf registry serve` with htpasswd auth:
// docker login (bad and good password), push, rmi, pull, logout. Set WHARF_TEST_SOCKET to run
// the same against a reference dockerd.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { busyboxTar } from "../../helpers/images.ts";
import { runAsync } from "../../helpers/run.ts";
import { writeHtpasswd } from "../../integration/distribution/helpers.ts";
import { startTestRegistry, type TestRegistry } from "../../integration/registry/helpers.ts";

const hasDocker = spawnSync("docker", ["--version"]).status === 0;
const skip = hasDocker ? false : "docker CLI missing";
const suffix = `${process.pid}`;

let d: TestDaemon;
let reg: TestRegistry;
let host: string;
let cfg: string;

// Asynchronous: the registry runs in this process and must keep answering while docker runs.
const docker = (args: string[], input?: string) =>
  runAsync("docker", ["-H", `unix://${d.socket}`, ...args], { env: { DOCKER_CONFIG: cfg }, input });

before(async () => {
  if (skip) return;
  cfg = mkdtempSync(join(tmpdir(), "wharf-docker-cfg-"));
  await writeHtpasswd(join(cfg, "htpasswd"), { alice: "alice-pw" });
  reg = await startTestRegistry({ htpasswd: join(cfg, "htpasswd") });
  host = new URL(reg.url).host;
  d = await startDaemon();
  const imported = await docker(["import", "-c", 'CMD ["sh"]', await busyboxTar(), `dc-bb-${suffix}:1`]);
  assert.equal(imported.code, 0, imported.err);
});
after(async () => {
  if (skip) return;
  try {
    if (d) await docker(["rmi", "-f", `dc-bb-${suffix}:1`, `${host}/alice/dc-${suffix}:1`]);
    await d?.stop();
  } finally {
    await reg?.close(); // an open server in this process would keep the test file alive
    if (cfg) rmSync(cfg, { recursive: true, force: true });
  }
});

test("docker login, push, pull and logout through wharfd", { skip, timeout: 300_000 }, async () => {
  const bad = await docker(["login", host, "-u", "alice", "--password-stdin"], "wrong\n");
  assert.equal(bad.code, 1);
  assert.match(bad.err, /login attempt to http:\/\/.+\/v2\/ failed with status: 401 Unauthorized/);
  const login = await docker(["login", host, "-u", "alice", "--password-stdin"], "alice-pw\n");
  assert.equal(login.code, 0, login.err);
  assert.match(login.out, /Login Succeeded/);
  const auths = (
    JSON.parse(readFileSync(join(cfg, "config.json"), "utf8")) as { auths: Record<string, unknown> }
  ).auths;
  assert.ok(auths[host], JSON.stringify(auths));

  const name = `${host}/alice/dc-${suffix}:1`;
  assert.equal((await docker(["tag", `dc-bb-${suffix}:1`, name])).code, 0);
  const push = await docker(["push", name]);
  assert.equal(push.code, 0, push.err);
  assert.match(push.out, /The push refers to repository \[/);
  assert.match(push.out, /: Pushed$/m);
  assert.match(push.out, /^1: digest: sha256:[a-f0-9]{64} size: \d+$/m);
  assert.equal((await docker(["rmi", name])).code, 0);
  assert.equal((await docker(["rmi", `dc-bb-${suffix}:1`])).code, 0);

  const pull = await docker(["pull", name]);
  assert.equal(pull.code, 0, pull.err);
  assert.match(pull.out, /^1: Pulling from alice\/dc-/m);
  assert.match(pull.out, /: Pull complete$/m);
  assert.match(pull.out, /^Digest: sha256:[a-f0-9]{64}$/m);
  assert.match(pull.out, /^Status: Downloaded newer image for /m);
  const again = await docker(["pull", name]);
  assert.match(again.out, /^Status: Image is up to date for /m);
  const r = await docker(["run", "--rm", name, "echo", "pulled"]);
  assert.equal(r.out, "pulled\n", r.err);

  // run pulls a missing image first, with the stored credentials.
  assert.equal((await docker(["rmi", name])).code, 0);
  const implicit = await docker(["run", "--rm", name, "echo", "implicit"]);
  assert.equal(implicit.out, "implicit\n", implicit.err);
  assert.match(implicit.err, /Unable to find image '.+' locally/);

  const missing = await docker(["pull", `${host}/alice/none-${suffix}:1`]);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /Error response from daemon: /);

  assert.equal((await docker(["logout", host])).code, 0);
  const denied = await docker(["pull", name.replace(":1", ":2")]);
  assert.equal(denied.code, 1);
  assert.match(denied.err, /no basic auth credentials/);
});
