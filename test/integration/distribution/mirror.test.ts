// registry-mirrors: a docker.io pull ("busybox") is served by the mirror (a local
// `wharf registry serve`), never by Docker Hub; the puller's orchestration runs over a real
// content store and a recording PullStore.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, test } from "node:test";
import { gzipSync } from "node:zlib";
import { RegistryClient } from "../../../src/distribution/client/client.ts";
import { RegistryHosts } from "../../../src/distribution/client/hosts.ts";
import { MediaTypes } from "../../../src/distribution/client/manifest.ts";
import { ContentStore } from "../../../src/engine/content/store.ts";
import { EventBus } from "../../../src/engine/events/bus.ts";
import type { ProgressMessage } from "../../../src/engine/images/progress.ts";
import { chainId, ImagePuller, type PulledImage, type PullStore } from "../../../src/engine/images/pull.ts";
import { startTestRegistry, type TestRegistry } from "../registry/helpers.ts";

const digestOf = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

let reg: TestRegistry;
let dir: string;

before(async () => {
  reg = await startTestRegistry();
  dir = await mkdtemp(join(tmpdir(), "wharf-mirror-"));
  // library/busybox:1 on the mirror: two gzip layers.
  const session = new RegistryClient(new RegistryHosts({ certsDirs: [] })).sessionFor(
    new URL(reg.url).host,
    {},
  );
  const repo = session.repository("library/busybox", ["pull", "push"]);
  const tars = [Buffer.from("layer one".padEnd(1024)), Buffer.from("layer two".padEnd(1024))];
  const layers = tars.map((t) => {
    const data = gzipSync(t);
    return { mediaType: MediaTypes.ociLayerGzip, digest: digestOf(data), size: data.length, data };
  });
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: tars.map(digestOf) },
    }),
  );
  for (const b of [
    ...layers,
    { digest: digestOf(config), size: config.length, mediaType: MediaTypes.ociConfig, data: config },
  ]) {
    await repo.uploadBlob(b, (s, e) => Readable.from([b.data.subarray(s, e)]), { chunkSize: 1 << 20 });
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: { mediaType: MediaTypes.ociConfig, digest: digestOf(config), size: config.length },
      layers: layers.map(({ data: _d, ...l }) => l),
    }),
  );
  await repo.putManifest("1", MediaTypes.ociManifest, manifest);
});
after(async () => {
  await reg?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("busybox comes from the mirror; layers registered in order with their diff IDs", async () => {
  const content = new ContentStore(dir);
  await content.init();
  const registered: Array<{ parent: string | null; diffId: string }> = [];
  let created: PulledImage | undefined;
  const tags = new Map<string, string>();
  const store: PullStore = {
    hasLayer: () => false,
    registerLayer: async (parent, _blob, diffId) => {
      registered.push({ parent, diffId });
      return chainId(parent, diffId);
    },
    // Stores the downloaded bytes (verified) and registers nothing until commit.
    stageLayer: async (blob, source) => {
      await content.ingest(source, blob.digest);
      return {
        commit: async (parent, diffId) => {
          registered.push({ parent, diffId });
          return chainId(parent, diffId);
        },
        discard: async () => {},
      };
    },
    createImage: async (image) => {
      created = image;
      return image.configDigest;
    },
    tagged: (t) => tags.get(t),
    tag: (t, id) => tags.set(t, id),
    dropBlobIfUnused: async () => {},
    withLease: (fn) => fn(),
  };
  const puller = new ImagePuller({
    registry: new RegistryClient(new RegistryHosts({ mirrors: [reg.url], certsDirs: [] })),
    content,
    store,
    events: new EventBus(),
    maxConcurrentDownloads: 3,
  });
  // Credentials given for Docker Hub do not stop an anonymous mirror from serving.
  const job = await puller.prepare({
    fromImage: "busybox",
    tag: "1",
    auth: { username: "u", password: "p" },
  });
  const messages: ProgressMessage[] = [];
  await job.run((m) => messages.push(m));
  assert.equal(messages[0]?.status, "Pulling from library/busybox");
  assert.equal(messages.at(-1)?.status, "Status: Downloaded newer image for busybox:1");
  assert.equal(registered.length, 2);
  assert.equal(registered[0]?.parent, null);
  assert.equal(registered[1]?.parent, registered[0]?.diffId);
  assert.equal(created?.repoDigest.startsWith("docker.io/library/busybox@sha256:"), true);
  assert.equal(tags.get("docker.io/library/busybox:1"), created?.configDigest);
});
