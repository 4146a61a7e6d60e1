// The registry client against `wharf registry serve` on 127.0.0.1: anonymous, htpasswd (Basic)
// and token (Bearer) auth, uploads (monolithic, chunked, cross-repo mount), index resolution,
// and a registry that drops or corrupts a blob download.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { RegistryClient, type RepositoryClient } from "../../../src/distribution/client/client.ts";
import {
  DigestVerificationError,
  type DistributionError,
  RegistryResponseError,
} from "../../../src/distribution/client/errors.ts";
import { RegistryHosts } from "../../../src/distribution/client/hosts.ts";
import { type Descriptor, MediaTypes, parsePlatform } from "../../../src/distribution/client/manifest.ts";
import { startTestRegistry, type TestRegistry, tempDir } from "../registry/helpers.ts";
import { freePort, startFaultProxy, writeHtpasswd } from "./helpers.ts";

const digestOf = (b: Buffer | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const newClient = () => new RegistryClient(new RegistryHosts({ certsDirs: [] }), { backoffMs: 10 });

function blob(data: Buffer, mediaType: string): Descriptor & { data: Buffer } {
  return { mediaType, digest: digestOf(data), size: data.length, data };
}

async function pushBlob(
  repo: RepositoryClient,
  b: { digest: string; size: number; mediaType: string; data: Buffer },
  chunkSize = 1 << 20,
) {
  await repo.uploadBlob(b, (s, e) => Readable.from([b.data.subarray(s, e)]), { chunkSize });
}

/** Pushes a one-layer image; returns its descriptors. */
async function pushImage(repo: RepositoryClient, tag: string, arch = "amd64", layerBytes = 4096) {
  const layer = blob(gzipSync(randomBytes(layerBytes)), MediaTypes.ociLayerGzip);
  const config = blob(
    Buffer.from(
      JSON.stringify({ architecture: arch, os: "linux", rootfs: { type: "layers", diff_ids: [] } }),
    ),
    MediaTypes.ociConfig,
  );
  await pushBlob(repo, layer, 1024);
  await pushBlob(repo, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
      layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
    }),
  );
  const digest = await repo.putManifest(tag, MediaTypes.ociManifest, manifest);
  return { layer, config, manifest, digest };
}

describe("anonymous registry", () => {
  let reg: TestRegistry;
  let host: string;
  before(async () => {
    reg = await startTestRegistry();
    host = new URL(reg.url).host;
  });
  after(async () => reg?.close());

  test("push (chunked and monolithic), resolve and read back", async () => {
    const client = newClient();
    const session = client.sessionFor(host, {});
    const repo = session.repository("client/app", ["pull", "push"]);
    const pushed = await pushImage(repo, "v1", "amd64", 100_000);
    assert.equal(
      session.base,
      `http://${host}`,
      "an insecure 127.0.0.1 registry without TLS is reached over http",
    );
    assert.equal(pushed.digest, digestOf(pushed.manifest));
    assert.equal(await repo.blobSize(pushed.layer.digest), pushed.layer.size);
    assert.equal(await repo.blobSize(digestOf("nothing")), undefined);
    const resolved = await repo.resolve("v1", parsePlatform("linux/amd64"));
    assert.equal(resolved.manifestDigest, pushed.digest);
    assert.deepEqual(resolved.config, pushed.config.data);
    assert.deepEqual(await repo.fetchSmallBlob(pushed.layer), pushed.layer.data);
    assert.equal(await repo.headManifest("v1"), pushed.digest);
    assert.deepEqual(await repo.tags(), ["v1"]);
  });

  test("cross-repository mount", async () => {
    const session = newClient().sessionFor(host, {});
    const src = session.repository("client/src", ["pull", "push"]);
    const pushed = await pushImage(src, "v1");
    const dst = session.repository("client/dst", ["pull", "push"], ["repository:client/src:pull"]);
    assert.equal(await dst.blobSize(pushed.layer.digest), undefined);
    const started = await dst.startUpload({ digest: pushed.layer.digest, from: "client/src" });
    assert.equal(started.mounted, true);
    assert.equal(await dst.blobSize(pushed.layer.digest), pushed.layer.size);
  });

  test("an index resolves to the requested platform", async () => {
    const session = newClient().sessionFor(host, {});
    const repo = session.repository("client/multi", ["pull", "push"]);
    const amd = await pushImage(repo, "amd", "amd64");
    const arm = await pushImage(repo, "arm", "arm64");
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.ociIndex,
        manifests: [
          {
            mediaType: MediaTypes.ociManifest,
            digest: arm.digest,
            size: arm.manifest.length,
            platform: { os: "linux", architecture: "arm64", variant: "v8" },
          },
          {
            mediaType: MediaTypes.ociManifest,
            digest: amd.digest,
            size: amd.manifest.length,
            platform: { os: "linux", architecture: "amd64" },
          },
        ],
      }),
    );
    const indexDigest = await repo.putManifest("multi", MediaTypes.ociIndex, index);
    const a = await repo.resolve("multi", parsePlatform("linux/amd64"));
    assert.equal(a.manifestDigest, amd.digest);
    assert.equal(a.resolvedDigest, indexDigest);
    assert.equal((await repo.resolve(indexDigest, parsePlatform("linux/arm64"))).manifestDigest, arm.digest);
    await assert.rejects(repo.resolve("multi", parsePlatform("linux/s390x")), (err: DistributionError) => {
      assert.equal(err.status, 404);
      assert.equal(err.message, "no matching manifest for linux/s390x in the manifest list entries");
      return true;
    });
  });

  test("unknown tags and repositories are the registry's 404", async () => {
    const repo = newClient().sessionFor(host, {}).repository("client/app", ["pull"]);
    await assert.rejects(repo.getManifest("nope"), (err: RegistryResponseError) => {
      assert.equal(err.status, 404);
      assert.ok(err.hasCode("MANIFEST_UNKNOWN"), err.message);
      return true;
    });
  });

  test("unreachable registry: Go-style connection error", async () => {
    const port = await freePort();
    const repo = newClient().sessionFor(`127.0.0.1:${port}`, {}).repository("x", ["pull"]);
    await assert.rejects(repo.getManifest("latest"), /connection refused/);
  });

  describe("a registry that drops or lies", () => {
    test("a dropped connection mid-blob resumes with Range", async () => {
      const proxy = await startFaultProxy(reg.url);
      try {
        const repo = newClient().sessionFor(proxy.host, {}).repository("client/big", ["pull", "push"]);
        const pushed = await pushImage(repo, "v1", "amd64", 300_000);
        proxy.nextFault = "cut";
        const got = await repo.fetchSmallBlob(pushed.layer);
        assert.deepEqual(got, pushed.layer.data);
        const gets = proxy.blobGets.filter((g) => g.path.endsWith(pushed.layer.digest));
        assert.equal(gets.length, 2);
        assert.match(gets[1]?.range ?? "", /^bytes=\d+-$/);
        assert.notEqual(gets[1]?.range, "bytes=0-");
      } finally {
        await proxy.close();
      }
    });

    test("a 503 on the manifest is retried", async () => {
      const proxy = await startFaultProxy(reg.url);
      try {
        const repo = newClient().sessionFor(proxy.host, {}).repository("client/flaky", ["pull", "push"]);
        const pushed = await pushImage(repo, "v1");
        proxy.manifestFailures = 2;
        assert.equal((await repo.getManifest("v1")).digest, pushed.digest);
        assert.equal(proxy.manifestFailures, 0);
        proxy.manifestFailures = 10;
        await assert.rejects(repo.getManifest("v1"), /unavailable: try later/);
      } finally {
        await proxy.close();
      }
    });

    test("a corrupt or oversized blob is refused", async () => {
      const proxy = await startFaultProxy(reg.url);
      try {
        const repo = newClient().sessionFor(proxy.host, {}).repository("client/bad", ["pull", "push"]);
        const pushed = await pushImage(repo, "v1");
        proxy.nextFault = "corrupt";
        await assert.rejects(repo.fetchSmallBlob(pushed.layer), DigestVerificationError);
        proxy.nextFault = "extra";
        await assert.rejects(repo.fetchSmallBlob(pushed.layer), DigestVerificationError);
      } finally {
        await proxy.close();
      }
    });
  });
});

describe("htpasswd (Basic)", () => {
  let reg: TestRegistry;
  let host: string;
  let dir: string;
  before(async () => {
    dir = await tempDir();
    await writeHtpasswd(join(dir, "htpasswd"), { alice: "alice-pw" });
    reg = await startTestRegistry({ htpasswd: join(dir, "htpasswd") });
    host = new URL(reg.url).host;
  });
  after(async () => {
    await reg?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("login succeeds with the right password and fails with 401 otherwise", async () => {
    await newClient().sessionFor(host, { username: "alice", password: "alice-pw" }).login();
    await assert.rejects(
      newClient().sessionFor(host, { username: "alice", password: "nope" }).login(),
      (err: DistributionError) => {
        assert.equal(err.status, 401);
        assert.equal(err.message, `login attempt to http://${host}/v2/ failed with status: 401 Unauthorized`);
        return true;
      },
    );
  });

  test("push and pull with credentials; none fails like Docker", async () => {
    const repo = newClient()
      .sessionFor(host, { username: "alice", password: "alice-pw" })
      .repository("a/b", ["pull", "push"]);
    const pushed = await pushImage(repo, "v1");
    assert.equal((await repo.resolve("v1", parsePlatform("linux/amd64"))).manifestDigest, pushed.digest);
    const anon = newClient().sessionFor(host, {}).repository("a/b", ["pull"]);
    await assert.rejects(anon.getManifest("v1"), /no basic auth credentials/);
  });
});

describe("token auth (Bearer)", () => {
  let reg: TestRegistry;
  let host: string;
  let dir: string;
  before(async () => {
    dir = await tempDir();
    await writeHtpasswd(join(dir, "htpasswd"), { alice: "alice-pw", bob: "bob-pw" });
    const port = await freePort();
    reg = await startTestRegistry({
      addr: `127.0.0.1:${port}`,
      htpasswd: join(dir, "htpasswd"),
      token: {
        realm: `http://127.0.0.1:${port}/auth/token`,
        service: "wharf-test",
        issuer: "wharf-test",
        expiresInSeconds: 300,
      },
      access: [
        { account: "alice", name: "**", actions: ["*"] },
        { account: "bob", name: "alice/**", actions: ["pull"] },
      ],
      requestLog: true,
    });
    host = new URL(reg.url).host;
  });
  after(async () => {
    await reg?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("login: a token for good credentials, 401 for bad ones", async () => {
    await newClient().sessionFor(host, { username: "alice", password: "alice-pw" }).login();
    await assert.rejects(
      newClient().sessionFor(host, { username: "alice", password: "bad" }).login(),
      (err: DistributionError) => err.status === 401,
    );
  });

  test("push and pull with scoped tokens, cached per scope", async () => {
    const client = newClient();
    const repo = client
      .sessionFor(host, { username: "alice", password: "alice-pw" })
      .repository("alice/app", ["pull", "push"]);
    const before = reg.logs.filter((l) => l.includes("/auth/token")).length;
    const pushed = await pushImage(repo, "v1");
    await repo.resolve("v1", parsePlatform("linux/amd64"));
    const tokenRequests = reg.logs.filter((l) => l.includes("/auth/token")).length - before;
    assert.equal(tokenRequests, 1, "one token serves every request of the same scope");
    const bob = newClient().sessionFor(host, { username: "bob", password: "bob-pw" });
    assert.equal(
      (await bob.repository("alice/app", ["pull"]).resolve("v1", parsePlatform("linux/amd64")))
        .manifestDigest,
      pushed.digest,
    );
    await assert.rejects(
      pushImage(bob.repository("alice/app", ["pull", "push"]), "v2"),
      (err: DistributionError) => err instanceof RegistryResponseError,
    );
  });
});
