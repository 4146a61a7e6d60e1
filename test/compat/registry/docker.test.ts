// `docker pull` and `docker push` against `wharf registry serve`. Needs a running Docker daemon
// (DOCKER_HOST or the default socket); skipped when there is none. Docker treats 127.0.0.0/8
// registries as insecure by default, so plain HTTP works without daemon configuration.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { startTestRegistry, type TestRegistry, tempDir } from "../../integration/registry/helpers.ts";
import { buildImageLayout } from "./oci-layout.ts";

const run = promisify(execFile);
const daemon = await run("docker", ["info", "--format", "{{.ServerVersion}}"], { timeout: 10_000 }).then(
  (r) => r.stdout.trim(),
  () => undefined,
);
const haveSkopeo = await run("skopeo", ["--version"]).then(
  () => true,
  () => false,
);
const skip = !daemon ? "no Docker daemon reachable" : !haveSkopeo ? "skopeo is not installed" : false;

let reg: TestRegistry;
let work: string;
const images: string[] = [];

before(async () => {
  if (skip) return;
  reg = await startTestRegistry();
  work = await tempDir("wharf-docker-");
});
after(async () => {
  for (const image of images) await run("docker", ["rmi", "-f", image]).catch(() => undefined);
  await reg?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

test("docker pull and docker push", { skip, timeout: 180_000 }, async () => {
  const host = new URL(reg.url).host;
  const layout = join(work, "layout");
  await buildImageLayout(layout, "v1");
  await run("skopeo", [
    "copy",
    "--dest-tls-verify=false",
    "--format",
    "v2s2",
    `oci:${layout}:v1`,
    `docker://${host}/compat/docker-src:v1`,
  ]);
  const pulled = `${host}/compat/docker-src:v1`;
  images.push(pulled);
  await run("docker", ["pull", pulled]);
  const pushed = `${host}/compat/docker-dst:v1`;
  images.push(pushed);
  await run("docker", ["tag", pulled, pushed]);
  await run("docker", ["push", pushed]);
  const res = await fetch(`${reg.url}/v2/compat/docker-dst/manifests/v1`, {
    headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json" },
  });
  assert.equal(res.status, 200);
  const manifest = (await res.json()) as { layers: unknown[] };
  assert.equal(manifest.layers.length, 1);
  await run("docker", ["rmi", pushed]);
  await run("docker", ["pull", pushed]);
});
