// Garbage collection: what it keeps and deletes, --dry-run, and safety while the server keeps
// serving pushes (through the CLI and the admin socket, and in-process with no grace period).
import assert from "node:assert/strict";
import { readdir, rm, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { defaultConfig } from "../../../src/distribution/registry/config.ts";
import { startRegistry } from "../../../src/distribution/registry/server.ts";
import { pushBlob, pushImage, sha256, startTestRegistry, tempDir } from "./helpers.ts";
import { runRegistryCli, spawnRegistry } from "./process.ts";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

/** Makes everything on disk look old, so the grace period does not protect it. */
async function age(dir: string, ms = 2 * 60 * 60 * 1000): Promise<void> {
  const when = new Date(Date.now() - ms);
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) await utimes(join(entry.parentPath, entry.name), when, when);
  }
}

function blobFile(root: string, digest: string): string {
  const [alg, hex] = digest.split(":") as [string, string];
  return join(root, "blobs", alg, hex.slice(0, 2), hex);
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}

async function assertImageComplete(url: string, repo: string, ref: string, manifest: string): Promise<void> {
  const res = await fetch(`${url}/v2/${repo}/manifests/${ref}`);
  assert.equal(res.status, 200, `${repo}:${ref}`);
  assert.equal(await res.text(), manifest);
  const parsed = JSON.parse(manifest) as { config: { digest: string }; layers: { digest: string }[] };
  for (const d of [parsed.config.digest, ...parsed.layers.map((l) => l.digest)]) {
    const blob = await fetch(`${url}/v2/${repo}/blobs/${d}`);
    assert.equal(blob.status, 200, `${repo} blob ${d}`);
    assert.equal(sha256(Buffer.from(await blob.arrayBuffer())), d);
  }
}

test("offline gc keeps what tags and referrers reach and deletes the rest; --dry-run deletes nothing", async () => {
  const reg = await startTestRegistry();
  try {
    const url = reg.url;
    const kept = await pushImage(url, "gc/app", "v1", { layers: ["shared layer", "kept layer"] });
    const dropped = await pushImage(url, "gc/app", "old", { layers: ["shared layer", "dropped layer"] });
    await fetch(`${url}/v2/gc/app/manifests/old`, { method: "DELETE" });
    // An untagged index child stays because the tagged index lists it.
    const child = await pushImage(url, "gc/app", undefined);
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [{ mediaType: OCI_MANIFEST, digest: child.digest, size: Buffer.byteLength(child.manifest) }],
    });
    await fetch(`${url}/v2/gc/app/manifests/multi`, {
      method: "PUT",
      headers: { "Content-Type": OCI_INDEX },
      body: index,
    });
    // A referrer of a kept image stays; a referrer of the dropped image goes.
    const pushReferrer = async (subject: { digest: string; manifest: string }, note: string) => {
      const config = await pushBlob(url, "gc/app", "{}");
      const body = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: "application/vnd.example.note",
        config: { mediaType: "application/vnd.oci.empty.v1+json", digest: config, size: 2 },
        layers: [],
        subject: {
          mediaType: OCI_MANIFEST,
          digest: subject.digest,
          size: Buffer.byteLength(subject.manifest),
        },
        annotations: { note },
      });
      await fetch(`${url}/v2/gc/app/manifests/${sha256(body)}`, {
        method: "PUT",
        headers: { "Content-Type": OCI_MANIFEST },
        body,
      });
      return sha256(body);
    };
    const keptReferrer = await pushReferrer(kept, "keep");
    const droppedReferrer = await pushReferrer(dropped, "drop");
    const orphanBlob = await pushBlob(url, "gc/app", "never referenced");
    await fetch(`${url}/v2/gc/app/blobs/uploads/`, { method: "POST" }); // an abandoned session
    await reg.registry.close();
    await age(reg.root);

    const dry = await runRegistryCli(["gc", "--root", reg.root, "--dry-run", "--grace", "10m", "--json"]);
    assert.equal(dry.code, 0, dry.stderr);
    const dryReport = JSON.parse(dry.stdout) as {
      via: string;
      dryRun: boolean;
      manifestsDeleted: { digest: string }[];
      blobsDeleted: { digest: string }[];
    };
    assert.equal(dryReport.via, "offline");
    assert.equal(dryReport.dryRun, true);
    assert.deepEqual(
      dryReport.manifestsDeleted.map((m) => m.digest).sort(),
      [dropped.digest, droppedReferrer].sort(),
    );
    const dryBlobs = dryReport.blobsDeleted.map((b) => b.digest);
    for (const d of [dropped.digest, droppedReferrer, dropped.config, dropped.layers[1]!, orphanBlob]) {
      assert.ok(dryBlobs.includes(d), `dry run lists ${d}`);
    }
    assert.ok(await exists(blobFile(reg.root, orphanBlob)), "dry run deleted nothing");

    const real = await runRegistryCli(["gc", "--root", reg.root, "--upload-expiry-is-not-a-flag"]);
    assert.equal(real.code, 2, "unknown flags are refused");
    const run = await runRegistryCli(["gc", "--root", reg.root, "--grace", "10m"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /2 manifests and \d+ blobs deleted/);
    assert.match(run.stdout, /1 expired uploads/);
    for (const d of [dropped.config, dropped.layers[1]!, orphanBlob, dropped.digest, droppedReferrer]) {
      assert.equal(await exists(blobFile(reg.root, d)), false, `${d} deleted`);
    }
    assert.deepEqual(await readdir(join(reg.root, "uploads")), []);

    const again = await startRegistry(
      { ...defaultConfig(), addr: "127.0.0.1:0", root: reg.root, requestLog: false },
      { errorLog: () => undefined },
    );
    try {
      await assertImageComplete(again.url, "gc/app", "v1", kept.manifest);
      await assertImageComplete(again.url, "gc/app", child.digest, child.manifest);
      assert.equal((await fetch(`${again.url}/v2/gc/app/manifests/multi`)).status, 200);
      assert.equal((await fetch(`${again.url}/v2/gc/app/manifests/${keptReferrer}`)).status, 200);
      assert.equal((await fetch(`${again.url}/v2/gc/app/manifests/${dropped.digest}`)).status, 404);
      assert.equal((await fetch(`${again.url}/v2/gc/app/blobs/${orphanBlob}`)).status, 404);
      const referrers = (await (await fetch(`${again.url}/v2/gc/app/referrers/${kept.digest}`)).json()) as {
        manifests: { digest: string }[];
      };
      assert.deepEqual(
        referrers.manifests.map((m) => m.digest),
        [keptReferrer],
      );
    } finally {
      await again.close();
    }
  } finally {
    await rm(reg.dir, { recursive: true, force: true });
  }
});

test("gc through the running server while clients keep pushing", async () => {
  const dir = await tempDir();
  const root = join(dir, "root");
  const server = await spawnRegistry(["--addr", "127.0.0.1:0", "--root", root, "--quiet"]);
  try {
    const garbage = await pushImage(server.url, "busy/app", "garbage");
    await fetch(`${server.url}/v2/busy/app/manifests/garbage`, { method: "DELETE" });
    const keep = await pushImage(server.url, "busy/app", "keep");
    await age(root);
    // The server remembers what it served within the grace period; let the garbage fall out of it.
    await new Promise((r) => setTimeout(r, 2500));

    const pushed: { tag: string; manifest: string }[] = [];
    const pushes = (async () => {
      for (let i = 0; i < 12; i++) {
        const image = await pushImage(server.url, "busy/app", `t${i}`, {
          layers: [`layer ${i}`, `more ${i}`],
        });
        pushed.push({ tag: `t${i}`, manifest: image.manifest });
      }
    })();
    const collections = (async () => {
      const outputs: string[] = [];
      for (let i = 0; i < 3; i++) {
        const run = await runRegistryCli(["gc", "--root", root, "--grace", "2s"]);
        assert.equal(run.code, 0, run.stderr);
        outputs.push(run.stdout);
      }
      return outputs;
    })();
    const [, outputs] = await Promise.all([pushes, collections]);
    assert.match(outputs[0]!, /collected by the running server/);
    assert.equal(pushed.length, 12);
    for (const { tag, manifest } of pushed) await assertImageComplete(server.url, "busy/app", tag, manifest);
    await assertImageComplete(server.url, "busy/app", "keep", keep.manifest);
    assert.equal(await exists(blobFile(root, garbage.layers[0]!)), false);
    assert.equal(await exists(blobFile(root, garbage.digest)), false);
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test("gc with no grace period racing pushes never leaves a broken image", async (t) => {
  const reg = await startTestRegistry({ gcGraceMs: 0 });
  try {
    const pushed: { tag: string; manifest: string }[] = [];
    const failures: string[] = [];
    let pushing = true;
    const pushes = (async () => {
      for (let i = 0; i < 25; i++) {
        try {
          const image = await pushImage(reg.url, "race/app", `t${i}`, { layers: [`race ${i}`] });
          pushed.push({ tag: `t${i}`, manifest: image.manifest });
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
      pushing = false;
    })();
    const collections = (async () => {
      let runs = 0;
      while (pushing) {
        await reg.registry.collectGarbage({ dryRun: false, graceMs: 0 });
        runs++;
        // Pauses of varying length let some pushes through and make others straddle a collection.
        await new Promise((r) => setTimeout(r, (runs * 7) % 40));
      }
      return runs;
    })();
    const [, runs] = await Promise.all([pushes, collections]);
    assert.ok(runs > 0);
    assert.ok(pushed.length > 0, "some pushes got through");
    t.diagnostic(`${runs} collections, ${pushed.length} pushes complete, ${failures.length} refused cleanly`);
    // A push may fail cleanly when gc removed a blob before its manifest arrived…
    for (const message of failures) assert.match(message, /MANIFEST_BLOB_UNKNOWN/);
    // …but every push that succeeded is complete, before and after one more collection.
    for (const { tag, manifest } of pushed) await assertImageComplete(reg.url, "race/app", tag, manifest);
    await reg.registry.collectGarbage({ dryRun: false, graceMs: 0 });
    for (const { tag, manifest } of pushed) await assertImageComplete(reg.url, "race/app", tag, manifest);
  } finally {
    await reg.close();
  }
});
