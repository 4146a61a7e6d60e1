// wharfd against Debian's docker-registry (distribution 2.8), a registry no one here wrote:
// push, pull by tag and by digest, login and pull with htpasswd auth.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { stopChild } from "../../helpers/bounded.ts";
import { startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { importBusybox } from "../../helpers/images.ts";
import { freePort, writeHtpasswd } from "./helpers.ts";

const haveRegistry = spawnSync("docker-registry", ["--version"]).status === 0;
const skip = haveRegistry ? false : "docker-registry (Debian package) is not installed";

interface Distribution {
  host: string;
  stop(): Promise<void>;
}

/**
 * Registries not stopped yet: a test that times out never reaches its finally, so after() stops
 * what is left — a running child would keep the test file alive.
 */
const running = new Set<Distribution>();

/** Starts `docker-registry serve` on a temp root and a free 127.0.0.1 port. */
async function startDistribution(htpasswd?: string): Promise<Distribution> {
  const dir = mkdtempSync(join(tmpdir(), "wharf-distribution-"));
  const port = await freePort();
  const auth = htpasswd ? `auth:\n  htpasswd:\n    realm: test-realm\n    path: ${htpasswd}\n` : "";
  writeFileSync(
    join(dir, "config.yml"),
    `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`,
  );
  const child: ChildProcess = spawn("docker-registry", ["serve", join(dir, "config.yml")], {
    stdio: "ignore",
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    const up = await fetch(`http://127.0.0.1:${port}/v2/`).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill("SIGKILL");
      await exited;
      rmSync(dir, { recursive: true, force: true });
      throw new Error("docker-registry did not start");
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const distribution: Distribution = {
    host: `127.0.0.1:${port}`,
    async stop() {
      running.delete(distribution);
      await stopChild(child, "SIGTERM", 10_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  running.add(distribution);
  return distribution;
}

const xauth = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
const last = (text: string) =>
  JSON.parse(text.trim().split("\r\n").at(-1) as string) as {
    status?: string;
    aux?: { Digest: string };
    errorDetail?: { message: string };
  };

describe("Debian docker-registry (distribution 2.8)", { skip }, () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon();
    await importBusybox(daemon.api, "dr/bb:1");
  });
  after(async () => {
    try {
      await daemon?.stop();
    } finally {
      for (const reg of running) await reg.stop();
    }
  });

  async function pushPull(host: string, auth: object) {
    const name = `${host}/dr/bb`;
    await daemon.api.ok("POST", `/images/dr/bb:1/tag?repo=${encodeURIComponent(name)}&tag=1`);
    const pushed = await daemon.api.call("POST", `/images/${name}/push?tag=1`, undefined, {
      headers: { "X-Registry-Auth": xauth(auth) },
    });
    const end = last(pushed.text());
    assert.ok(end.aux?.Digest, pushed.text());
    await daemon.api.ok("DELETE", `/images/${name}:1`);
    const id = (await daemon.api.ok<{ Id: string }>("GET", "/images/dr/bb:1/json")).Id;
    await daemon.api.ok("DELETE", "/images/dr/bb:1");
    const pulled = await daemon.api.call("POST", `/images/create?fromImage=${name}&tag=1`, undefined, {
      headers: { "X-Registry-Auth": xauth(auth) },
    });
    assert.equal(pulled.status, 200, pulled.text());
    assert.equal(last(pulled.text()).status, `Status: Downloaded newer image for ${name}:1`);
    assert.equal((await daemon.api.ok<{ Id: string }>("GET", `/images/${name}:1/json`)).Id, id);
    const byDigest = await daemon.api.call(
      "POST",
      `/images/create?fromImage=${name}&tag=${end.aux?.Digest}`,
      undefined,
      { headers: { "X-Registry-Auth": xauth(auth) } },
    );
    assert.equal(last(byDigest.text()).status, `Status: Image is up to date for ${name}@${end.aux?.Digest}`);
    const ctr = await daemon.api.run({ Image: `${name}:1`, Cmd: ["true"] });
    assert.equal(await daemon.api.waitExit(ctr), 0);
    await daemon.api.ok("DELETE", `/containers/${ctr}?force=1`);
    await daemon.api.ok("POST", `/images/${name}:1/tag?repo=dr/bb&tag=1`);
    await daemon.api.ok("DELETE", `/images/${name}:1`);
  }

  test("anonymous push and pull by tag and digest", { timeout: 120_000 }, async () => {
    const reg = await startDistribution();
    try {
      await pushPull(reg.host, {});
      const missing = await daemon.api.call("POST", `/images/create?fromImage=${reg.host}/dr/nothing&tag=1`);
      assert.equal(missing.status, 404);
      assert.match(missing.json<{ message: string }>().message, /not found: (manifest|name) unknown/);
    } finally {
      await reg.stop();
    }
  });

  test("htpasswd: /auth checks the password; push and pull with X-Registry-Auth", {
    timeout: 120_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "wharf-distribution-auth-"));
    await writeHtpasswd(join(dir, "htpasswd"), { alice: "alice-pw" });
    const reg = await startDistribution(join(dir, "htpasswd"));
    try {
      const bad = await daemon.api.call("POST", "/auth", {
        username: "alice",
        password: "x",
        serveraddress: reg.host,
      });
      assert.equal(
        bad.json<{ message: string }>().message,
        `login attempt to http://${reg.host}/v2/ failed with status: 401 Unauthorized`,
      );
      const creds = { username: "alice", password: "alice-pw", serveraddress: reg.host };
      const ok = await daemon.api.call("POST", "/auth", creds);
      assert.equal(ok.status, 200, ok.text());
      await pushPull(reg.host, creds);
    } finally {
      await reg.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
