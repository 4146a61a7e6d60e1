// Blobs stream socket -> disk and disk -> socket: pushing and pulling a 1 GiB blob keeps the
// server's memory flat. WHARF_REGISTRY_BIG_BLOB_MB overrides the size (default 1024).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { type IncomingMessage, request } from "node:http";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { test } from "node:test";
import { tempDir } from "./helpers.ts";
import { spawnRegistry } from "./process.ts";

const SIZE_MB = Number(process.env.WHARF_REGISTRY_BIG_BLOB_MB ?? "1024");
const RSS_LIMIT_MB = 200;

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? "0");
  return kb / 1024;
}

/** Generates SIZE_MB of varied bytes without holding them, hashing as they go out. */
function generate(hash: ReturnType<typeof createHash>): Readable {
  const chunk = Buffer.alloc(1024 * 1024);
  let i = 0;
  return new Readable({
    read() {
      if (i === SIZE_MB) {
        this.push(null);
        return;
      }
      chunk.fill(i % 251);
      chunk.writeUInt32BE(i, 0);
      hash.update(chunk);
      i++;
      this.push(Buffer.from(chunk));
    },
  });
}

function send(url: string, method: string, path: string, body?: Readable): Promise<IncomingMessage> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path }, resolve);
    req.on("error", reject);
    if (body) pipeline(body, req).catch(reject);
    else req.end();
  });
}

test(`a ${SIZE_MB} MiB blob streams in and out with flat server memory`, { timeout: 240_000 }, async (t) => {
  const dir = await tempDir();
  const server = await spawnRegistry(["--addr", "127.0.0.1:0", "--root", join(dir, "root"), "--quiet"]);
  let peak = rssMb(server.pid);
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(server.pid));
  }, 100);
  try {
    const post = await send(server.url, "POST", "/v2/big/blob/blobs/uploads/");
    post.resume();
    const location = post.headers.location!;
    const sent = createHash("sha256");
    const patch = await send(server.url, "PATCH", location, generate(sent));
    patch.resume();
    assert.equal(patch.statusCode, 202);
    assert.equal(patch.headers.range, `0-${SIZE_MB * 1024 * 1024 - 1}`);
    const digest = `sha256:${sent.digest("hex")}`;
    const put = await send(server.url, "PUT", `${patch.headers.location}?digest=${digest}`);
    put.resume();
    assert.equal(put.statusCode, 201);

    const get = await send(server.url, "GET", `/v2/big/blob/blobs/${digest}`);
    assert.equal(get.statusCode, 200);
    const received = createHash("sha256");
    let bytes = 0;
    for await (const chunk of get) {
      received.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    assert.equal(bytes, SIZE_MB * 1024 * 1024);
    assert.equal(`sha256:${received.digest("hex")}`, digest);
    t.diagnostic(`server peak RSS ${peak.toFixed(0)} MB`);
    assert.ok(peak < RSS_LIMIT_MB, `server RSS peaked at ${peak.toFixed(0)} MB`);
  } finally {
    clearInterval(sampler);
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
