// skopeo (a registry client no one here wrote) and wharfd meeting in `wharf registry serve`:
// skopeo pushes a multi-layer gzip image and a two-platform OCI index that wharfd pulls and
// runs; wharfd pushes an image that skopeo then copies out.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { importBusybox } from "../../helpers/images.ts";
import { startTestRegistry, type TestRegistry, tempDir } from "../../integration/registry/helpers.ts";
import { buildIndexLayout } from "../registry/oci-layout.ts";
import { buildLayeredLayout } from "./layout.ts";

const execFileAsync = promisify(execFile);
/** Killed after 90 s: the tests' own timeouts do not end a child they spawned. */
const run = (cmd: string, args: string[]) =>
  execFileAsync(cmd, args, { timeout: 90_000, killSignal: "SIGKILL" });
const haveSkopeo = await run("skopeo", ["--version"]).then(
  () => true,
  () => false,
);
const skip = haveSkopeo ? false : "skopeo is not installed";

let daemon: TestDaemon;
let reg: TestRegistry;
let host: string;
let work: string;

const lines = (t: string) =>
  t
    .split("\r\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { status?: string; errorDetail?: { message: string } });

async function pull(fromImage: string, tag: string, platform?: string) {
  const q = new URLSearchParams({ fromImage, tag, ...(platform ? { platform } : {}) });
  const res = await daemon.api.call("POST", `/images/create?${q}`, undefined, {
    headers: { "X-Registry-Auth": "e30=" },
  });
  assert.equal(res.status, 200, res.text());
  const msgs = lines(res.text());
  assert.equal(msgs.at(-1)?.errorDetail, undefined, JSON.stringify(msgs.at(-1)));
  return msgs;
}

before(async () => {
  if (skip) return;
  daemon = await startDaemon();
  reg = await startTestRegistry();
  host = new URL(reg.url).host;
  work = await tempDir("wharf-skopeo-");
});
after(async () => {
  try {
    await daemon?.stop();
  } finally {
    await reg?.close(); // an open server in this process would keep the test file alive
    if (work) await rm(work, { recursive: true, force: true });
  }
});

test("skopeo pushes a 3-layer gzip image (docker v2s2); wharfd pulls and runs it", {
  skip,
  timeout: 120_000,
}, async () => {
  const layout = join(work, "layered");
  const { layers } = await buildLayeredLayout(layout, "v1");
  await run("skopeo", [
    "copy",
    "--dest-tls-verify=false",
    "--format",
    "v2s2",
    `oci:${layout}:v1`,
    `docker://${host}/sk/layered:v1`,
  ]);
  const msgs = await pull(`${host}/sk/layered`, "v1");
  const completed = msgs.filter((m) => m.status === "Pull complete").length;
  assert.equal(completed, layers.length);
  const name = `${host}/sk/layered:v1`;
  const id = await daemon.api.run({
    Image: name,
    Cmd: ["sh", "-c", "cat /layers/a; test ! -e /layers/gone"],
  });
  assert.equal(await daemon.api.waitExit(id), 0);
  const logs = await daemon.api.call("GET", `/containers/${id}/logs?stdout=1`);
  assert.match(logs.body.toString(), /two/);
  await daemon.api.ok("DELETE", `/containers/${id}?force=1`);
  await daemon.api.ok("DELETE", `/images/${name}`);
});

test("an OCI index: wharfd picks linux/amd64, or the platform asked for", {
  skip,
  timeout: 120_000,
}, async () => {
  const layout = join(work, "index");
  await buildIndexLayout(layout, "multi");
  await run("skopeo", [
    "copy",
    "--all",
    "--dest-tls-verify=false",
    `oci:${layout}:multi`,
    `docker://${host}/sk/multi:m`,
  ]);
  await pull(`${host}/sk/multi`, "m");
  let inspect = await daemon.api.ok<{ Architecture: string }>("GET", `/images/${host}/sk/multi:m/json`);
  assert.equal(inspect.Architecture, "amd64");
  await pull(`${host}/sk/multi`, "m", "linux/arm64");
  inspect = await daemon.api.ok<{ Architecture: string }>("GET", `/images/${host}/sk/multi:m/json`);
  assert.equal(inspect.Architecture, "arm64");
  const res = await daemon.api.call(
    "POST",
    `/images/create?fromImage=${host}/sk/multi&tag=m&platform=linux/s390x`,
  );
  assert.equal(res.status, 404);
  assert.equal(
    res.json<{ message: string }>().message,
    "no matching manifest for linux/s390x in the manifest list entries",
  );
  await daemon.api.ok("DELETE", `/images/${host}/sk/multi:m`);
});

test("wharfd pushes an image; skopeo copies it out intact", { skip, timeout: 120_000 }, async () => {
  await importBusybox(daemon.api, "sk/bb:1");
  const name = `${host}/sk/bb`;
  await daemon.api.ok("POST", `/images/sk/bb:1/tag?repo=${encodeURIComponent(name)}&tag=1`);
  const res = await daemon.api.call("POST", `/images/${name}/push?tag=1`, undefined, {
    headers: { "X-Registry-Auth": "e30=" },
  });
  const msgs = lines(res.text());
  assert.equal(msgs.at(-1)?.errorDetail, undefined, JSON.stringify(msgs.at(-1)));
  const out = join(work, "out");
  await run("skopeo", ["copy", "--src-tls-verify=false", `docker://${name}:1`, `oci:${out}:1`]);
  const index = JSON.parse(await readFile(join(out, "index.json"), "utf8")) as {
    manifests: Array<{ digest: string }>;
  };
  const manifest = JSON.parse(
    await readFile(join(out, "blobs", "sha256", (index.manifests[0]?.digest ?? "").slice(7)), "utf8"),
  ) as { config: { digest: string }; layers: Array<{ mediaType: string }> };
  const inspect = await daemon.api.ok<{ Id: string }>("GET", `/images/${name}:1/json`);
  assert.equal(manifest.config.digest, inspect.Id);
  assert.equal(manifest.layers.length, 1);
  // The imported (plain tar) layer went up gzip-compressed, as Docker pushes it.
  assert.equal(manifest.layers[0]?.mediaType, "application/vnd.oci.image.layer.v1.tar+gzip");
  await daemon.api.ok("DELETE", `/images/${name}:1`);
});

test("a pulled image whose base layer already existed (stored plain) pushes whole", {
  skip,
  timeout: 120_000,
}, async () => {
  await importBusybox(daemon.api, "sk/base:1");
  const layout = join(work, "layered2");
  await buildLayeredLayout(layout, "v2");
  await run("skopeo", [
    "copy",
    "--dest-tls-verify=false",
    `oci:${layout}:v2`,
    `docker://${host}/sk/layered2:v2`,
  ]);
  const msgs = await pull(`${host}/sk/layered2`, "v2");
  assert.ok(
    msgs.some((m) => m.status === "Already exists"),
    "the busybox base layer is reused",
  );
  const name = `${host}/sk/repushed`;
  await daemon.api.ok("POST", `/images/${host}/sk/layered2:v2/tag?repo=${encodeURIComponent(name)}&tag=1`);
  const res = await daemon.api.call("POST", `/images/${name}/push?tag=1`, undefined, {
    headers: { "X-Registry-Auth": "e30=" },
  });
  const pushed = lines(res.text());
  assert.equal(pushed.at(-1)?.errorDetail, undefined, JSON.stringify(pushed.at(-1)));
  // skopeo fetches and verifies every blob the pushed manifest names.
  await run("skopeo", [
    "copy",
    "--src-tls-verify=false",
    `docker://${name}:1`,
    `oci:${join(work, "out2")}:1`,
  ]);
  for (const n of [`${name}:1`, `${host}/sk/layered2:v2`, "sk/base:1"])
    await daemon.api.ok("DELETE", `/images/${n}`);
});
