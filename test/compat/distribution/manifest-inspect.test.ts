// `docker manifest inspect` and `wharf manifest inspect` side by side against `wharf registry
// serve` (htpasswd, credentials in a shared $DOCKER_CONFIG): stdout, stderr and exit code must be
// byte for byte the same. Both are client-side commands, so no daemon is involved.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { runAsync } from "../../helpers/run.ts";
import { wharfBin } from "../../integration/cli/harness.ts";
import { writeHtpasswd } from "../../integration/distribution/helpers.ts";
import {
  type PushedImage,
  pushImage,
  startTestRegistry,
  type TestRegistry,
} from "../../integration/registry/helpers.ts";

const hasDocker = spawnSync("docker", ["--version"]).status === 0;
const skip = hasDocker ? false : "docker CLI missing";

let reg: TestRegistry;
let host: string;
let cfg: string;
const auth = { Authorization: `Basic ${Buffer.from("eve:eve-pw").toString("base64")}` };
const pushed: Record<string, PushedImage> = {};

// Asynchronous: the registry runs in this process and must keep answering.
const run = (bin: string, args: string[]) =>
  runAsync(bin, args, { env: { DOCKER_CONFIG: cfg }, timeoutMs: 60_000 });

async function putIndex(repo: string, mediaType: string, entries: [PushedImage, object][]): Promise<void> {
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType,
    manifests: entries.map(([m, platform]) => ({
      mediaType: JSON.parse(m.manifest).mediaType,
      digest: m.digest,
      size: m.manifest.length,
      platform,
    })),
  });
  const res = await fetch(`${reg.url}/v2/${repo}/manifests/1`, {
    method: "PUT",
    headers: { "Content-Type": mediaType, ...auth },
    body,
  });
  assert.equal(res.status, 201);
}

before(async () => {
  if (skip) return;
  cfg = mkdtempSync(join(tmpdir(), "wharf-manifest-compat-"));
  await writeHtpasswd(join(cfg, "htpasswd"), { eve: "eve-pw" });
  reg = await startTestRegistry({ htpasswd: join(cfg, "htpasswd") });
  host = new URL(reg.url).host;
  writeFileSync(
    join(cfg, "config.json"),
    JSON.stringify({ auths: { [host]: { auth: Buffer.from("eve:eve-pw").toString("base64") } } }),
  );
  const schema2 = "application/vnd.docker.distribution.manifest.v2+json";
  pushed.oci = await pushImage(reg.url, "mc/oci", "1", {
    headers: auth,
    extra: { annotations: { a: "<&>" } },
  });
  pushed.s2 = await pushImage(reg.url, "mc/s2", "1", {
    headers: auth,
    mediaType: schema2,
    layers: ["x", "y"],
  });
  const a = await pushImage(reg.url, "mc/index", undefined, { headers: auth });
  const b = await pushImage(reg.url, "mc/index", undefined, { headers: auth });
  pushed.b = b;
  await putIndex("mc/index", "application/vnd.oci.image.index.v1+json", [
    [a, { architecture: "amd64", os: "linux" }],
    [b, { architecture: "arm", os: "linux", variant: "v7" }],
  ]);
  const c = await pushImage(reg.url, "mc/list", undefined, { headers: auth, mediaType: schema2 });
  const d = await pushImage(reg.url, "mc/list", undefined, { headers: auth, mediaType: schema2 });
  await putIndex("mc/list", "application/vnd.docker.distribution.manifest.list.v2+json", [
    [c, { architecture: "amd64", os: "linux" }],
    [d, { architecture: "s390x", os: "linux" }],
  ]);
});
after(async () => {
  if (skip) return;
  await reg?.close();
  rmSync(cfg, { recursive: true, force: true });
});

test("wharf manifest inspect prints exactly what docker manifest inspect prints", { skip }, async () => {
  const refs = [
    `${host}/mc/oci:1`,
    `${host}/mc/s2:1`,
    `${host}/mc/index:1`,
    `${host}/mc/list:1`,
    `${host}/mc/index@${pushed.b?.digest}`,
    `${host}/mc/none:1`,
  ];
  for (const ref of refs) {
    for (const extra of [[], ["--verbose"]]) {
      const args = ["manifest", "inspect", "--insecure", ...extra, ref];
      const want = await run("docker", args);
      const got = await run(wharfBin, args);
      // Only the unknown tag may fail (so two identical failures cannot pass for a match).
      assert.equal(want.code, ref.endsWith("/mc/none:1") ? 1 : 0, want.err);
      assert.deepEqual(got, want, `${args.join(" ")}`);
    }
  }
});
