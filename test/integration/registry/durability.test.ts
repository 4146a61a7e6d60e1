// A registry killed with SIGKILL mid-push loses nothing it acknowledged and shows no partial
// blob; after a restart, upload sessions resume from their last acknowledged byte. Clients that
// hang up mid-transfer leave no open file, session or blob behind.
import assert from "node:assert/strict";
import { readdir, rm, stat } from "node:fs/promises";
import { type ClientRequest, request } from "node:http";
import { join } from "node:path";
import { test } from "node:test";
import { pushImage, sha256, tempDir } from "./helpers.ts";
import { spawnRegistry } from "./process.ts";

/** Starts a request whose body is sent in pieces and never finished. */
function openStreamingRequest(url: string, method: string, path: string, headers: Record<string, string>) {
  const { hostname, port } = new URL(url);
  const req: ClientRequest = request({ host: hostname, port, method, path, headers });
  req.on("error", () => undefined); // the server will die under it
  return req;
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

test("SIGKILL mid-push: acknowledged content survives, partial content stays invisible", async () => {
  const dir = await tempDir();
  const root = join(dir, "root");
  let server = await spawnRegistry(["--addr", "127.0.0.1:0", "--root", root, "--quiet"]);
  try {
    const acked = await pushImage(server.url, "crash/app", "v1", { layers: ["acknowledged layer"] });

    // A chunked upload with one acknowledged chunk...
    const full = Buffer.from("0123456789".repeat(100));
    const post = await fetch(`${server.url}/v2/crash/app/blobs/uploads/`, { method: "POST" });
    const location = post.headers.get("location")!;
    const chunk = await fetch(`${server.url}${location}`, {
      method: "PATCH",
      headers: { "Content-Range": "0-499" },
      body: full.subarray(0, 500),
    });
    assert.equal(chunk.status, 202);
    // ...and a second chunk that is still arriving when the server dies.
    const second = openStreamingRequest(server.url, "PATCH", location, { "Content-Range": "500-999" });
    second.write(full.subarray(500, 800));

    // A large monolithic push that is also still arriving.
    const big = Buffer.alloc(1024 * 1024, 0x5a);
    const bigDigest = sha256(Buffer.concat(Array.from({ length: 64 }, () => big)));
    const monolithic = openStreamingRequest(
      server.url,
      "POST",
      `/v2/crash/app/blobs/uploads/?digest=${bigDigest}`,
      {
        "Content-Length": String(64 * big.length),
      },
    );
    for (let i = 0; i < 8; i++) monolithic.write(big);

    const uploadsDir = join(root, "uploads");
    await waitFor(async () => {
      // A temp file may be renamed between listing and stat: count it as empty.
      const sizes = await Promise.all(
        (await filesUnder(uploadsDir)).map((f) =>
          stat(f).then(
            (s) => s.size,
            () => 0,
          ),
        ),
      );
      return sizes.some((s) => s >= 4 * 1024 * 1024) && sizes.some((s) => s > 500 && s < 1000);
    }, "partial uploads on disk");

    server.child.kill("SIGKILL");
    await server.exited;

    // Nothing partial is visible in the blob store: only the acknowledged image's blobs.
    const blobFiles = (await filesUnder(join(root, "blobs"))).map((f) => f.split("/").pop()!);
    const expected = [acked.config, ...acked.layers, acked.digest].map((d) => d.split(":")[1]!);
    assert.deepEqual(blobFiles.sort(), expected.sort());

    // A new server takes over the dead one's lock and serves everything acknowledged.
    server = await spawnRegistry(["--addr", "127.0.0.1:0", "--root", root, "--quiet"]);
    const manifest = await fetch(`${server.url}/v2/crash/app/manifests/v1`);
    assert.equal(await manifest.text(), acked.manifest);
    for (const d of [acked.config, ...acked.layers]) {
      const blob = await fetch(`${server.url}/v2/crash/app/blobs/${d}`);
      assert.equal(sha256(Buffer.from(await blob.arrayBuffer())), d);
    }
    assert.equal(
      (await fetch(`${server.url}/v2/crash/app/blobs/${bigDigest}`, { method: "HEAD" })).status,
      404,
    );

    // The chunked session resumes after its last acknowledged byte.
    const status = await fetch(`${server.url}${location}`);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get("range"), "0-499");
    const rest = await fetch(`${server.url}${location}?digest=${sha256(full)}`, {
      method: "PUT",
      headers: { "Content-Range": "500-999" },
      body: full.subarray(500),
    });
    assert.equal(rest.status, 201, await rest.clone().text());
    assert.equal(
      await (await fetch(`${server.url}/v2/crash/app/blobs/${sha256(full)}`)).text(),
      full.toString(),
    );
  } finally {
    await server.stop("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  }
});

test("a second server on the same root is refused while the first runs", async () => {
  const dir = await tempDir();
  const root = join(dir, "root");
  const first = await spawnRegistry(["--addr", "127.0.0.1:0", "--root", root, "--quiet"]);
  try {
    await assert.rejects(
      spawnRegistry(["--addr", "127.0.0.1:0", "--root", root, "--quiet"]),
      /in use by pid/,
    );
  } finally {
    await first.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

/** Sends `method path`, writes `body` (or part of it), and hangs up once the first bytes move. */
function hangUp(
  url: string,
  method: string,
  path: string,
  body?: { bytes: Buffer; total: number },
): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const headers = body ? { "Content-Length": String(body.total) } : undefined;
    const req = request({ host: hostname, port, method, path, headers, agent: false }, (res) => {
      res.once("data", () => {
        req.destroy();
        resolve();
      });
    });
    req.on("error", () => resolve());
    if (!body) req.end();
    else {
      req.write(body.bytes, () =>
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 100),
      );
    }
  });
}

test("clients that hang up mid-transfer leave no open files, no sessions and no blob", async () => {
  const dir = await tempDir();
  const root = join(dir, "root");
  const server = await spawnRegistry(["--addr", "127.0.0.1:0", "--root", root, "--quiet"]);
  const openFiles = async () => (await readdir(`/proc/${server.pid}/fd`)).length;
  try {
    const data = Buffer.alloc(16 * 1024 * 1024, 0x33);
    const digest = sha256(data);
    const post = await fetch(`${server.url}/v2/hang/up/blobs/uploads/`, { method: "POST" });
    const put = await fetch(`${server.url}${post.headers.get("location")}?digest=${digest}`, {
      method: "PUT",
      body: data,
    });
    assert.equal(put.status, 201);
    const before = await openFiles();

    for (let i = 0; i < 10; i++) await hangUp(server.url, "GET", `/v2/hang/up/blobs/${digest}`);
    const other = Buffer.alloc(16 * 1024 * 1024, 0x44);
    const part = { bytes: other.subarray(0, 4 * 1024 * 1024), total: other.length };
    for (let i = 0; i < 5; i++) {
      await hangUp(server.url, "POST", `/v2/hang/up/blobs/uploads/?digest=${sha256(other)}`, part);
    }
    const session = await fetch(`${server.url}/v2/hang/up/blobs/uploads/`, { method: "POST" });
    const location = session.headers.get("location")!;
    await hangUp(server.url, "PATCH", location, part);

    await waitFor(async () => (await openFiles()) <= before, "the server to close what the clients left");
    // The monolithic uploads are gone; the chunked session survives with no bytes acknowledged.
    const sessions = await readdir(join(root, "uploads"));
    assert.deepEqual(sessions, [location.split("/").pop()]);
    const status = await fetch(`${server.url}${location}`);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get("range"), "0-0");
    assert.equal(
      (await fetch(`${server.url}/v2/hang/up/blobs/${sha256(other)}`, { method: "HEAD" })).status,
      404,
    );
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
