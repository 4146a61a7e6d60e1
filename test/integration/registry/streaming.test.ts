// Blobs stream socket -> disk and disk -> socket: pushing a 1 GiB blob (one PATCH, and a
// monolithic POST ?digest=) and pulling it back (whole and a range) keep the server's memory
// flat. The bound is on the server's RSS growth over its idle size, measured from /proc — a
// memory bound far below the blob's size, not a timing. WHARF_REGISTRY_BIG_BLOB_MB overrides the
// size (default 1024).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { type IncomingMessage, request } from "node:http";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { after, before, test } from "node:test";
import { tempDir } from "./helpers.ts";
import { type RegistryProcess, spawnRegistry } from "./process.ts";

const MiB = 1024 * 1024;
const SIZE_MB = Number(process.env.WHARF_REGISTRY_BIG_BLOB_MB ?? "1024");
const SIZE = SIZE_MB * MiB;
// Generous, and independent of the blob size. Uploads: V8 frees the request body's chunks in
// batches, so RSS rises by a few tens of MiB (~65 measured) and stays there whether the blob has
// 1 or 3 GiB. Downloads reuse two buffers and allocate nothing per chunk (~6 MiB measured).
const GROWTH_LIMIT_MB = 128;
const DOWNLOAD_GROWTH_LIMIT_MB = 32;

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? "0");
  assert.ok(kb > 0, `no VmRSS for pid ${pid}`);
  return kb / 1024;
}

/** Generates SIZE bytes (varied by `seed`) without holding them, hashing them as they go out. */
function generate(seed: number, hash: ReturnType<typeof createHash>): Readable {
  const chunk = Buffer.alloc(MiB);
  let i = 0;
  return new Readable({
    read() {
      if (i === SIZE_MB) {
        this.push(null);
        return;
      }
      chunk.fill((i + seed) % 251);
      chunk.writeUInt32BE(i, 0);
      chunk.writeUInt32BE(seed, 4);
      hash.update(chunk);
      i++;
      this.push(Buffer.from(chunk));
    },
  });
}

async function digestOf(seed: number): Promise<string> {
  const hash = createHash("sha256");
  for await (const _ of generate(seed, hash));
  return `sha256:${hash.digest("hex")}`;
}

function send(
  url: string,
  method: string,
  path: string,
  body?: Readable,
  headers: Record<string, string | number> = {},
): Promise<IncomingMessage> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    // A fresh connection each time: hashing 1 GiB blocks this process long enough for the
    // server to close an idle keep-alive socket whose FIN would not be read before its reuse.
    const req = request({ host: hostname, port, method, path, headers, agent: false }, resolve);
    req.on("error", reject);
    if (body) pipeline(body, req).catch(reject);
    else req.end();
  });
}

/** The server's peak RSS growth over `baseline` (MiB) while `work` runs, sampled every 50 ms. */
async function growthDuring(pid: number, baseline: number, work: () => Promise<void>): Promise<number> {
  let peak = rssMb(pid);
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 50);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return Math.max(peak, rssMb(pid)) - baseline;
}

async function download(url: string, path: string, digest: string, range?: [number, number]): Promise<void> {
  const get = await send(
    url,
    "GET",
    path,
    undefined,
    range ? { Range: `bytes=${range[0]}-${range[1]}` } : {},
  );
  assert.equal(get.statusCode, range ? 206 : 200);
  const length = range ? range[1] - range[0] + 1 : SIZE;
  assert.equal(get.headers["content-length"], String(length));
  const received = createHash("sha256");
  let bytes = 0;
  for await (const chunk of get) {
    received.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  assert.equal(bytes, length);
  if (!range) assert.equal(`sha256:${received.digest("hex")}`, digest);
}

let dir: string;
let server: RegistryProcess | undefined;
let baseline: number;
let pushed: string;

/**
 * A fresh server on the same root, its code paths warmed up by a small blob, and its idle RSS:
 * RSS never shrinks back, so each phase is measured on a server of its own.
 */
async function freshServer(): Promise<RegistryProcess> {
  await server?.stop();
  server = await spawnRegistry(["--addr", "127.0.0.1:0", "--root", join(dir, "root"), "--quiet"]);
  const small = Buffer.alloc(MiB, 7);
  const digest = `sha256:${createHash("sha256").update(small).digest("hex")}`;
  const post = await send(
    server.url,
    "POST",
    `/v2/warm/up/blobs/uploads/?digest=${digest}`,
    Readable.from([small]),
    {
      "Content-Length": small.length,
    },
  );
  post.resume();
  assert.equal(post.statusCode, 201);
  const get = await send(server.url, "GET", `/v2/warm/up/blobs/${digest}`);
  for await (const _ of get);
  baseline = rssMb(server.pid);
  return server;
}

before(async () => {
  dir = await tempDir();
});
after(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test(`a ${SIZE_MB} MiB blob pushed in one PATCH: server memory stays flat`, {
  timeout: 300_000,
}, async (t) => {
  const srv = await freshServer();
  const sent = createHash("sha256");
  const up = await growthDuring(srv.pid, baseline, async () => {
    const post = await send(srv.url, "POST", "/v2/big/blob/blobs/uploads/");
    post.resume();
    assert.equal(post.statusCode, 202);
    const patch = await send(srv.url, "PATCH", post.headers.location!, generate(1, sent));
    patch.resume();
    assert.equal(patch.statusCode, 202);
    assert.equal(patch.headers.range, `0-${SIZE - 1}`);
    pushed = `sha256:${sent.digest("hex")}`;
    const put = await send(srv.url, "PUT", `${patch.headers.location}?digest=${pushed}`);
    put.resume();
    assert.equal(put.statusCode, 201);
  });
  t.diagnostic(`idle RSS ${baseline.toFixed(0)} MiB; growth during the PATCH upload ${up.toFixed(0)} MiB`);
  assert.ok(up < GROWTH_LIMIT_MB, `RSS grew by ${up.toFixed(0)} MiB during the upload`);
});

test(`the ${SIZE_MB} MiB blob pulled back, whole and a range: server memory stays flat`, {
  timeout: 300_000,
}, async (t) => {
  assert.ok(pushed, "the upload test ran first");
  const srv = await freshServer();
  const down = await growthDuring(srv.pid, baseline, async () => {
    await download(srv.url, `/v2/big/blob/blobs/${pushed}`, pushed);
    await download(srv.url, `/v2/big/blob/blobs/${pushed}`, pushed, [SIZE / 2 - 5, SIZE - 1]);
  });
  t.diagnostic(`idle RSS ${baseline.toFixed(0)} MiB; growth during the downloads ${down.toFixed(0)} MiB`);
  assert.ok(down < DOWNLOAD_GROWTH_LIMIT_MB, `RSS grew by ${down.toFixed(0)} MiB during the download`);
});

test(`a ${SIZE_MB} MiB monolithic POST ?digest=: server memory stays flat`, {
  timeout: 300_000,
}, async (t) => {
  const digest = await digestOf(2);
  const srv = await freshServer();
  const up = await growthDuring(srv.pid, baseline, async () => {
    const post = await send(
      srv.url,
      "POST",
      `/v2/big/mono/blobs/uploads/?digest=${digest}`,
      generate(2, createHash("sha256")),
      { "Content-Length": SIZE, "Content-Type": "application/octet-stream" },
    );
    post.resume();
    assert.equal(post.statusCode, 201);
    assert.equal(post.headers["docker-content-digest"], digest);
  });
  const head = await send(srv.url, "HEAD", `/v2/big/mono/blobs/${digest}`);
  head.resume();
  assert.equal(head.headers["content-length"], String(SIZE));
  t.diagnostic(
    `idle RSS ${baseline.toFixed(0)} MiB; growth during the monolithic upload ${up.toFixed(0)} MiB`,
  );
  assert.ok(up < GROWTH_LIMIT_MB, `RSS grew by ${up.toFixed(0)} MiB during the upload`);
});
