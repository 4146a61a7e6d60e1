// The `serve` and `gc` commands as processes: help, flag and config errors, a config file
// with TLS and htpasswd, the request log, and graceful shutdown on SIGTERM.
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { test } from "node:test";
import bcrypt from "bcryptjs";
import { makeSelfSignedCert, pushBlob, tempDir } from "./helpers.ts";
import { runRegistryCli, spawnRegistry } from "./process.ts";

test("help, unknown commands and bad flags", async () => {
  const help = await runRegistryCli(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /serve/);
  assert.match(help.stdout, /gc/);
  const serveHelp = await runRegistryCli(["serve", "--help"]);
  assert.equal(serveHelp.code, 0);
  assert.match(serveHelp.stdout, /--htpasswd/);
  assert.match(serveHelp.stdout, /--token-realm/);
  const gcHelp = await runRegistryCli(["gc", "-h"]);
  assert.equal(gcHelp.code, 0);
  assert.match(gcHelp.stdout, /--dry-run/);
  assert.equal((await runRegistryCli(["frobnicate"])).code, 2);
  assert.equal((await runRegistryCli(["serve", "--no-such-flag"])).code, 2);
  const badAddr = await runRegistryCli(["serve", "--addr", "nonsense", "--root", "/nonexistent/x"]);
  assert.equal(badAddr.code, 1);
  assert.match(badAddr.stderr, /invalid listen address/);
  const badToken = await runRegistryCli([
    "serve",
    "--token-realm",
    "https://127.0.0.1:1/token",
    "--root",
    "/tmp/x",
  ]);
  assert.equal(badToken.code, 1);
  assert.match(badToken.stderr, /token auth needs --htpasswd/);
  const gcMissing = await runRegistryCli(["gc", "--root", "/nonexistent/wharf-registry-root"]);
  assert.equal(gcMissing.code, 1);
  assert.match(gcMissing.stderr, /does not exist/);
});

test("a config file with TLS and htpasswd; flags override it; requests are logged", async () => {
  const dir = await tempDir();
  try {
    const { cert } = await makeSelfSignedCert(dir);
    await writeFile(join(dir, "htpasswd"), `carol:${bcrypt.hashSync("carol-pw", 4)}\n`);
    await writeFile(
      join(dir, "registry.json"),
      JSON.stringify({
        addr: "127.0.0.1:1",
        root: "data",
        tls: { cert: "cert.pem", key: "key.pem" },
        auth: { htpasswd: "htpasswd" },
        uploads: { expiry: "2h" },
      }),
    );
    const server = await spawnRegistry(["--config", join(dir, "registry.json"), "--addr", "127.0.0.1:0"]);
    try {
      assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.match(server.stderr(), /auth htpasswd/);
      const ca = await readFile(cert);
      const get = (headers: Record<string, string>) =>
        new Promise<number>((resolve, reject) => {
          const req = httpsRequest(`${server.url}/v2/`, { ca, headers }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on("error", reject);
          req.end();
        });
      assert.equal(await get({}), 401);
      const auth = `Basic ${Buffer.from("carol:carol-pw").toString("base64")}`;
      assert.equal(await get({ Authorization: auth }), 200);
      // The root named in the config file is relative to the file.
      assert.ok((await readFile(join(dir, "data", "registry.lock"), "utf8")).includes(String(server.pid)));
      await new Promise((r) => setTimeout(r, 100));
      assert.match(server.stdout(), /"GET \/v2\/ HTTP\/1\.1" 200 \d+ [\d.]+ms/);
      assert.match(server.stdout(), / carol "GET \/v2\/ HTTP/);
    } finally {
      await server.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("SIGTERM: no new connections, requests in flight finish, then a clean exit", async () => {
  const dir = await tempDir();
  try {
    const server = await spawnRegistry(["--addr", "127.0.0.1:0", "--root", join(dir, "root"), "--quiet"]);
    try {
      await pushBlob(server.url, "shut/down", "before");
      const post = await fetch(`${server.url}/v2/shut/down/blobs/uploads/`, { method: "POST" });
      const location = post.headers.get("location")!;
      const { hostname, port } = new URL(server.url);
      const inflight = new Promise<number>((resolve, reject) => {
        const req = httpRequest({ host: hostname, port, method: "PATCH", path: location }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.write("first half ");
        setTimeout(() => {
          server.child.kill("SIGTERM");
          setTimeout(() => req.end("second half"), 500);
        }, 200);
      });
      await new Promise((r) => setTimeout(r, 450));
      await assert.rejects(fetch(`${server.url}/v2/`, { headers: { Connection: "close" } }));
      assert.equal(await inflight, 202);
      assert.equal(await server.exited, 0);
      assert.match(server.stderr(), /SIGTERM, finishing requests in flight/);
      assert.match(server.stderr(), /stopped/);
    } finally {
      await server.stop("SIGKILL");
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the wharf CLI runs the same commands: wharf registry serve, wharf registry gc", async () => {
  const dir = await tempDir();
  const root = join(dir, "root");
  try {
    const help = await runRegistryCli(["--help"], "wharf");
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: wharf registry COMMAND/m);
    assert.equal((await runRegistryCli(["serve", "--no-such-flag"], "wharf")).code, 2);

    const server = await spawnRegistry(["--addr", "127.0.0.1:0", "--root", root], {}, "wharf");
    let orphan: string;
    try {
      orphan = await pushBlob(server.url, "via/wharf", "orphan blob");
      assert.equal(
        (await fetch(`${server.url}/v2/via/wharf/blobs/${orphan}`, { method: "HEAD" })).status,
        200,
      );
      await new Promise((r) => setTimeout(r, 100));
      assert.match(
        server.stdout(),
        /"POST \/v2\/via\/wharf\/blobs\/uploads\/\?digest=sha256:[0-9a-f]{64} HTTP\/1\.1" 201 /,
      );
      // gc asks the running server; with no grace the unreferenced blob would go.
      const dry = await runRegistryCli(["gc", "--root", root, "--dry-run", "--grace", "0s"], "wharf");
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, new RegExp(`^would delete blob ${orphan} \\(11 bytes\\)$`, "m"));
      assert.match(
        dry.stdout,
        /dry run: 0 manifests and 1 blobs would be deleted \(11 bytes\).*collected by the running server/,
      );
      assert.equal(
        (await fetch(`${server.url}/v2/via/wharf/blobs/${orphan}`, { method: "HEAD" })).status,
        200,
      );
    } finally {
      assert.equal(await server.stop(), 0);
    }
    const run = await runRegistryCli(["gc", "--root", root, "--grace", "0s"], "wharf");
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /0 manifests and 1 blobs deleted \(11 bytes\).*\(offline\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
