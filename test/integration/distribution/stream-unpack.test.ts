// Layers unpacked while they download, through wharfd: a connection cut mid-layer is resumed
// with Range and the unpacker keeps consuming the same stream; a registry that lies (wrong
// digest, extra bytes) leaves no staging snapshot, blob or ingest file behind; a client that
// hangs up mid-pull cancels it (as Docker's request context), leaving the store as before.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { RegistryClient } from "../../../src/distribution/client/client.ts";
import { RegistryHosts } from "../../../src/distribution/client/hosts.ts";
import { MediaTypes } from "../../../src/distribution/client/manifest.ts";
import { startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { importBusybox } from "../../helpers/images.ts";
import { listTar, makeTar } from "../../helpers/tars.ts";
import { startTestRegistry, type TestRegistry } from "../registry/helpers.ts";
import { type FaultProxy, startFaultProxy } from "./helpers.ts";

interface Msg {
  status?: string;
  errorDetail?: { message: string };
}

const lines = (text: string): Msg[] =>
  text
    .split("\r\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Msg);

let daemon: TestDaemon;
let reg: TestRegistry;
let proxy: FaultProxy;
let name: string;

/** What a pull can leave on disk: blobs, partial downloads, snapshot dirs and their links. */
function storeFiles(): Record<string, string[]> {
  const ls = (rel: string) => readdirSync(join(daemon.dataRoot, rel)).sort();
  return {
    blobs: ls("content/blobs/sha256"),
    ingest: ls("content/ingest"),
    snapshots: ls("snapshots"),
    links: ls("snapshots/l"),
  };
}

const pull = async (ref: string, tag: string) =>
  daemon.api.call("POST", `/images/create?${new URLSearchParams({ fromImage: ref, tag })}`);

before(async () => {
  daemon = await startDaemon();
  reg = await startTestRegistry();
  proxy = await startFaultProxy(reg.url);
  // Only the layer (not the config) gets the faults.
  proxy.faultMinBytes = 64 * 1024;
  name = `${proxy.host}/su/busybox`;
  await importBusybox(daemon.api, `${name}:1`);
  const pushed = await daemon.api.call("POST", `/images/${name}/push?tag=1`);
  assert.ok(!pushed.text().includes("errorDetail"), pushed.text());
  // Without the local copy, every pull below has to download (and unpack) the layer.
  await daemon.api.ok("DELETE", `/images/${name}:1`);
});
after(async () => {
  try {
    await daemon?.stop();
  } finally {
    // Open servers in this process would keep the test file alive.
    await proxy?.close();
    await reg?.close();
  }
});

describe("unpack while downloading", () => {
  for (const fault of ["corrupt", "extra"] as const) {
    test(`a registry sending a ${fault} layer leaves the store as before: no staging dir, blob or partial file`, async () => {
      const before = daemon.owned ? storeFiles() : undefined;
      proxy.nextFault = fault;
      const res = await pull(name, "1");
      assert.equal(res.status, 200);
      const msgs = lines(res.text());
      assert.match(
        msgs.at(-1)?.errorDetail?.message ?? "",
        fault === "corrupt" ? /verification failed/ : /more than the expected/,
        JSON.stringify(msgs),
      );
      assert.equal(proxy.nextFault, undefined, "the fault was applied");
      assert.equal((await daemon.api.call("GET", `/images/${name}:1/json`)).status, 404);
      if (before) assert.deepEqual(storeFiles(), before);
    });
  }

  test("a connection cut mid-layer resumes with Range and the unpacked image runs", async () => {
    proxy.blobGets.length = 0;
    proxy.nextFault = "cut";
    const msgs = lines((await pull(name, "1")).text());
    assert.equal(msgs.at(-1)?.status, `Status: Downloaded newer image for ${name}:1`, JSON.stringify(msgs));
    assert.equal(proxy.nextFault, undefined, "the cut happened");
    const ranged = proxy.blobGets.filter((g) => g.range !== undefined);
    assert.equal(ranged.length, 1, JSON.stringify(proxy.blobGets));
    assert.match(ranged[0]?.range ?? "", /^bytes=[1-9]\d*-$/);
    // The layer's bytes before and after the cut were one stream to the unpacker: every file
    // is whole (busybox itself runs, and its size matches the binary in the layer).
    const id = await daemon.api.run({
      Image: `${name}:1`,
      Cmd: ["sh", "-c", "busybox --help >/dev/null && ls /bin | wc -l"],
    });
    assert.equal(await daemon.api.waitExit(id), 0);
    await daemon.api.ok("DELETE", `/containers/${id}?force=1`);
    await daemon.api.ok("DELETE", `/images/${name}:1`);
  });
});

/** Polls `check` until it holds or `ms` pass; returns whether it held (no timing asserted). */
async function eventually(check: () => boolean | Promise<boolean>, ms = 30_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

/** Starts a pull, reads until the layer is downloading, then drops the connection. */
function pullAndHangUp(ref: string, tag: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({
      socketPath: daemon.socket,
      method: "POST",
      path: `/images/create?${new URLSearchParams({ fromImage: ref, tag })}`,
    });
    let seen = "";
    req.on("response", (res) => {
      res.on("data", (d: Buffer) => {
        seen += d.toString();
        if (seen.includes('"Downloading"')) {
          req.destroy();
          resolve(seen);
        }
      });
      res.on("end", () => reject(new Error(`the pull ended before any layer downloaded: ${seen}`)));
    });
    req.on("error", (err) => {
      if (!seen.includes('"Downloading"')) reject(err);
    });
    req.end();
  });
}

const digestOf = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

describe("compressions", () => {
  test("plain, gzip and zstd layers are unpacked from the stream, in order", async () => {
    const repo = new RegistryClient(new RegistryHosts({ certsDirs: [] }))
      .sessionFor(new URL(reg.url).host, {})
      .repository("su/mixed", ["pull", "push"]);
    const tars = await Promise.all([
      makeTar([
        { name: "plain", body: "from a plain tar\n" },
        { name: "over", body: "bottom\n" },
      ]),
      makeTar([
        { name: "gzip", body: "from a gzip tar\n" },
        { name: "over", body: "middle\n" },
      ]),
      makeTar([
        { name: "zstd", body: "from a zstd tar\n" },
        { name: "over", body: "top\n" },
      ]),
    ]);
    const blobs = [
      { data: tars[0] as Buffer, mediaType: MediaTypes.ociLayer },
      { data: gzipSync(tars[1] as Buffer), mediaType: MediaTypes.ociLayerGzip },
      { data: zstdCompressSync(tars[2] as Buffer), mediaType: "application/vnd.oci.image.layer.v1.tar+zstd" },
    ].map((b) => ({ ...b, digest: digestOf(b.data), size: b.data.length }));
    const config = Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        config: { Cmd: ["/plain"] },
        rootfs: { type: "layers", diff_ids: tars.map(digestOf) },
      }),
    );
    const configBlob = {
      data: config,
      mediaType: MediaTypes.ociConfig,
      digest: digestOf(config),
      size: config.length,
    };
    for (const b of [...blobs, configBlob])
      await repo.uploadBlob(b, (s, e) => Readable.from([b.data.subarray(s, e)]), { chunkSize: 1 << 20 });
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.ociManifest,
        config: { mediaType: configBlob.mediaType, digest: configBlob.digest, size: configBlob.size },
        layers: blobs.map(({ data: _d, ...l }) => l),
      }),
    );
    await repo.putManifest("1", MediaTypes.ociManifest, manifest);

    const ref = `${new URL(reg.url).host}/su/mixed`;
    const msgs = lines((await pull(ref, "1")).text());
    assert.equal(msgs.at(-1)?.status, `Status: Downloaded newer image for ${ref}:1`, JSON.stringify(msgs));
    const image = await daemon.api.ok<{ RootFS: { Layers: string[] } }>("GET", `/images/${ref}:1/json`);
    assert.deepEqual(image.RootFS.Layers, tars.map(digestOf));
    // Each layer's file is there, and the top layer's copy of a shared path wins.
    const ctr = await daemon.api.ok<{ Id: string }>("POST", "/containers/create", { Image: `${ref}:1` });
    try {
      for (const [path, body] of [
        ["plain", "from a plain tar\n"],
        ["gzip", "from a gzip tar\n"],
        ["zstd", "from a zstd tar\n"],
        ["over", "top\n"],
      ]) {
        const res = await daemon.api.call("GET", `/containers/${ctr.Id}/archive?path=/${path}`);
        assert.equal(res.status, 200, `${path}: ${res.text()}`);
        assert.deepEqual(
          (await listTar(res.body)).map((e) => [e.name, e.body]),
          [[path, body]],
        );
      }
    } finally {
      await daemon.api.ok("DELETE", `/containers/${ctr.Id}?force=1`);
      await daemon.api.ok("DELETE", `/images/${ref}:1`);
    }
  });
});

describe("client disconnect", () => {
  test("a client that hangs up mid-layer cancels the pull: nothing half-stored", async () => {
    const before = daemon.owned ? storeFiles() : undefined;
    proxy.blobAborts = 0;
    // ~1 MB layer at 16 KiB per 25 ms: tens of seconds if nobody stopped it.
    proxy.slowBlobs = { bytes: 16 * 1024, everyMs: 25 };
    try {
      await pullAndHangUp(name, "1");
      assert.ok(await eventually(() => proxy.blobAborts === 1), "the daemon stopped reading the layer");
    } finally {
      proxy.slowBlobs = undefined;
    }
    assert.equal((await daemon.api.call("GET", `/images/${name}:1/json`)).status, 404);
    if (before) {
      await eventually(() => JSON.stringify(storeFiles()) === JSON.stringify(before));
      assert.deepEqual(storeFiles(), before);
    }
    // The daemon is fine afterwards: the same pull completes.
    const msgs = lines((await pull(name, "1")).text());
    assert.equal(msgs.at(-1)?.status, `Status: Downloaded newer image for ${name}:1`, JSON.stringify(msgs));
    await daemon.api.ok("DELETE", `/images/${name}:1`);
  });
});
